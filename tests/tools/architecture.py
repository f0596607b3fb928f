#!/usr/bin/env python3
"""The architecture as docs/architecture.md states it, checked against the code.

1. Ports are the floor: no file under `ehrm-sync-core/src/ports/` names a module of the core
   crate other than `ports` (`crate::x`, or `super::` leaving the folder).
2. The modules of every library crate form no import circle through `ports` (modules are the
   first segment after `crate::`); a circle elsewhere is printed as a warning.
3. No adapter crate (store, AWS, BKN and eHRM clients, HTTP, sheets) depends on the console
   crate or on an entry point.
4. Every crate, module path (`ehrm_sync_x::a::b`) and file (`crates/...`) that
   docs/architecture.md names exists.
5. No source file (code, scripts, build and infrastructure files) cites a design document
   outside the repository.

Exit 1 with what is wrong; prints a summary otherwise.
"""

import os
import re
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CRATES = os.path.join(ROOT, "crates")
ADAPTERS = ["ehrm-sync-sqlite", "ehrm-sync-aws", "ehrm-sync-bkn", "ehrm-sync-ehrm",
            "ehrm-sync-http", "ehrm-sync-sheets"]
UPPER = ["ehrm-sync-console", "ehrm-sync-local", "ehrm-sync-lambda", "ehrm-sync",
         "ehrm-sync-devkit"]
OUTSIDE = re.compile(r"\.\./shared|shared/design|(?<!docs/)\b(brief|readiness|bkn-siasn-api|"
                     r"ehrm-contract)\.md\b|\bbkn-siasn-api\b|§")

problems = []


def rust_files(folder):
    for dirpath, _, files in os.walk(folder):
        for f in files:
            if f.endswith(".rs"):
                yield os.path.join(dirpath, f)


def module_of(src, path):
    rel = os.path.relpath(path, src).replace(os.sep, "/")
    top = rel.split("/")[0]
    return top[:-3] if top.endswith(".rs") else top


def strip_comments(text):
    return "\n".join(l for l in text.splitlines() if not l.strip().startswith("//"))


def crate_graph(src):
    graph = {}
    for path in rust_files(src):
        mod = module_of(src, path)
        if mod in ("lib", "main"):
            continue
        text = strip_comments(open(path, encoding="utf-8").read())
        uses = set(re.findall(r"\bcrate::([a-z_][a-z0-9_]*)", text))
        # `use crate::{a::x, b}` groups
        for group in re.findall(r"\buse crate::\{([^;]*)\};", text, re.S):
            uses.update(re.findall(r"(?:^|[,{\s])([a-z_][a-z0-9_]*)(?=::|\s*[,}]|$)", group))
        graph.setdefault(mod, set()).update(u for u in uses if u != mod)
    return graph


def cycles_through(graph, node):
    """Modules from which `node` is reachable and that `node` reaches: its strongly connected
    component, minus itself."""
    def reach(start):
        seen, stack = set(), [start]
        while stack:
            n = stack.pop()
            for m in graph.get(n, ()):
                if m not in seen:
                    seen.add(m)
                    stack.append(m)
        return seen
    forward = reach(node)
    return {m for m in forward if node in reach(m) and m != node}


def check_ports():
    ports = os.path.join(CRATES, "ehrm-sync-core", "src", "ports")
    for path in rust_files(ports):
        text = strip_comments(open(path, encoding="utf-8").read())
        for name in re.findall(r"\bcrate::([a-z_][a-z0-9_]*)", text):
            if name != "ports":
                problems.append(f"{os.path.relpath(path, ROOT)} imports crate::{name}: ports must be the floor")


def check_cycles():
    circles = 0
    for crate in sorted(os.listdir(CRATES)):
        src = os.path.join(CRATES, crate, "src")
        if not os.path.isdir(src):
            continue
        graph = crate_graph(src)
        if "ports" in graph:
            through = cycles_through(graph, "ports")
            if through:
                problems.append(f"{crate}: an import circle passes through ports: {sorted(through)}")
        for mod in sorted(graph):
            others = cycles_through(graph, mod)
            if others and mod < min(others):
                circles += 1
                print(f"note: {crate}: modules in one import circle: {sorted(others | {mod})}")
    return circles


def deps_of(crate):
    text = open(os.path.join(CRATES, crate, "Cargo.toml"), encoding="utf-8").read()
    section = text.split("[dependencies]", 1)[-1].split("\n[", 1)[0]
    return set(re.findall(r"^(ehrm-sync[a-z-]*|siasn-sim|ehrm-sim)\b", section, re.M))


def check_adapters():
    for crate in ADAPTERS:
        for dep in deps_of(crate):
            if dep in UPPER:
                problems.append(f"adapter {crate} depends on {dep}")


def check_architecture_doc():
    doc = open(os.path.join(ROOT, "docs", "architecture.md"), encoding="utf-8").read()
    named = set(re.findall(r"`((?:ehrm_sync|siasn_sim|ehrm_sim)[a-z_]*(?:::[A-Za-z_][A-Za-z0-9_]*)*)", doc))
    for path in sorted(named):
        parts = path.split("::")
        crate_dir = os.path.join(CRATES, parts[0].replace("_", "-"))
        if not os.path.isdir(crate_dir):
            problems.append(f"docs/architecture.md names {path}: no crate {parts[0]}")
            continue
        folder = os.path.join(crate_dir, "src")
        for i, part in enumerate(parts[1:], start=1):
            if part[0].isupper() or part in ("{", ""):
                break  # a type or item: its module exists (checked so far)
            as_file = os.path.join(folder, part + ".rs")
            as_dir = os.path.join(folder, part)
            if os.path.isdir(as_dir):
                folder = as_dir
            elif os.path.isfile(as_file):
                folder = None
                break
            else:
                # an item (function, constant) of the module reached so far
                if i == len(parts) - 1 and re.search(rf"\b(fn|const|static|mod|type|macro_rules!)\s+{re.escape(part)}\b",
                                                    module_text(folder)):
                    break
                problems.append(f"docs/architecture.md names {path}: no module {part}")
                break
    for rel in sorted(set(re.findall(r"\((?:\.\./)?((?:crates|functions|tests|infra|docs)/[^)#\s]+)", doc))):
        if not os.path.exists(os.path.join(ROOT, rel)):
            problems.append(f"docs/architecture.md links {rel}, which does not exist")


def module_text(folder):
    """Every file of a module folder (items may be re-exported from its submodules)."""
    out = []
    if folder and os.path.isdir(folder):
        for path in rust_files(folder):
            out.append(open(path, encoding="utf-8").read())
    return "\n".join(out)


def source_files(folder):
    for dirpath, _, files in os.walk(folder):
        if "/target" in dirpath or "/corpus" in dirpath:
            continue
        for f in files:
            if f.endswith((".rs", ".py", ".sh", ".toml", ".txt", ".yaml", ".yml")):
                yield os.path.join(dirpath, f)


def check_citations():
    me = os.path.abspath(__file__)
    for top in ("crates", "functions", "tests", "fuzz", "infra", ".ci"):
        for path in source_files(os.path.join(ROOT, top)):
            if os.path.abspath(path) == me:
                continue
            for n, line in enumerate(open(path, encoding="utf-8"), 1):
                if OUTSIDE.search(line):
                    problems.append(f"{os.path.relpath(path, ROOT)}:{n} cites a document outside the repository")


check_ports()
circles = check_cycles()
check_adapters()
check_architecture_doc()
check_citations()
if problems:
    print("\n".join(problems))
    sys.exit(1)
print(f"architecture: ports are the floor, no circle through them, adapters independent of the "
      f"console, docs/architecture.md names what exists ({circles} other module circles noted)")

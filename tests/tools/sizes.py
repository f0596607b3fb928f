#!/usr/bin/env python3
"""House rule for the source under crates/ and functions/: no file over 600 lines, and no function
over 80 lines unless the comment just above it says why (a line containing "long because" (any case)).

Prints each offender and exits 1 if there is any. Usage: sizes.py [--list N] (the N longest
functions, for planning)."""
import pathlib
import re
import sys

MAX_FILE = 600
MAX_FN = 80
FN = re.compile(r"^\s*(pub(\([^)]*\))?\s+)?(const\s+)?(async\s+)?(unsafe\s+)?fn\s+(\w+)")


def functions(lines):
    """(name, first line, length) of every fn with a body, by brace matching (strings and
    comments are skipped well enough for this code base)."""
    i = 0
    while i < len(lines):
        m = FN.match(lines[i])
        if not m:
            i += 1
            continue
        depth, started, j = 0, False, i
        while j < len(lines):
            code = re.sub(r'"(\\.|[^"\\])*"', '""', lines[j].split("//")[0])
            code = re.sub(r"'(\\.|[^'\\])'", "''", code)
            for ch in code:
                if ch == "{":
                    depth += 1
                    started = True
                elif ch == "}":
                    depth -= 1
            if not started and code.rstrip().endswith(";"):
                break
            if started and depth <= 0:
                break
            j += 1
        if started:
            yield m.group(6), i, j - i + 1
        i += 1


def justified(lines, start):
    k = start - 1
    while k >= 0 and (lines[k].strip().startswith(("///", "//", "#["))):
        if "long because" in lines[k].lower():
            return True
        k -= 1
    return False


def main():
    root = pathlib.Path(__file__).resolve().parents[2]
    listing = int(sys.argv[2]) if len(sys.argv) > 2 and sys.argv[1] == "--list" else 0
    bad, all_fns = [], []
    for folder in ("crates", "functions"):
        for path in sorted((root / folder).rglob("*.rs")):
            rel = path.relative_to(root)
            lines = path.read_text(encoding="utf-8").splitlines()
            if len(lines) > MAX_FILE:
                bad.append(f"{rel}: {len(lines)} lines (at most {MAX_FILE})")
            for name, start, length in functions(lines):
                all_fns.append((length, f"{rel}:{start + 1} {name}"))
                if length > MAX_FN and not justified(lines, start):
                    bad.append(f"{rel}:{start + 1}: fn {name} is {length} lines (at most {MAX_FN} without a comment saying why it is long)")
    if listing:
        for length, where in sorted(all_fns, reverse=True)[:listing]:
            print(f"{length:5} {where}")
        return 0
    for b in bad:
        print(b)
    print(f"sizes: {len(bad)} over the limits")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

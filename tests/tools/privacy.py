#!/usr/bin/env python3
"""docs/privacy.md stays true where a test can tell: every SQLite table the schema creates and
every DynamoDB item kind the table design names (crates/ehrm-sync-aws/src/dynamo/mod.rs) is
listed in the inventory, with its retention; every retention class is argued there and set by
the template."""

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
doc = (ROOT / "docs/privacy.md").read_text()
schema = (ROOT / "crates/ehrm-sync-sqlite/src/schema.rs").read_text()
dynamo = (ROOT / "crates/ehrm-sync-aws/src/dynamo/mod.rs").read_text()
classes = (ROOT / "crates/ehrm-sync-core/src/ports/retention.rs").read_text()
template = (ROOT / "infra/template.yaml").read_text()

missing = []
for table in re.findall(r"CREATE TABLE IF NOT EXISTS (\w+)", schema):
    if f"`{table}`" not in doc:
        missing.append(f"SQLite table {table}")
for line in dynamo.splitlines():
    m = re.match(r"//! \| [^|]+ \| `([A-Z]+)[#`]", line)
    if m and m.group(1) not in ("PK",) and f"`{m.group(1)}" not in doc:
        missing.append(f"DynamoDB item kind {m.group(1)}")
for kind in re.findall(r"`LIST#(\w+)`", dynamo):
    if f"LIST#{kind}" not in doc:
        missing.append(f"remembered list LIST#{kind}")

# Every retention class: argued in the inventory and configurable in the template.
for name in re.findall(r'DataClass::\w+ => "(\w+)"', classes):
    var = f"RETAIN_{name.upper()}_DAYS"
    if f"`{name.upper()}`" not in doc:
        missing.append(f"retention class {name.upper()} (its default and why)")
    if var not in template:
        missing.append(f"{var} in infra/template.yaml")

if missing:
    print("docs/privacy.md does not list:", *missing, sep="\n  ")
    sys.exit(1)
print("privacy: every SQLite table, DynamoDB item kind and retention class is in docs/privacy.md")

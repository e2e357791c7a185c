#!/usr/bin/env bash
# Seeds fuzz/corpus/<target>/ from the bundled samples and patterns.
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p corpus/pdf corpus/html corpus/text corpus/patterns
cp ../samples/*.pdf corpus/pdf/
cp ../tests/data/crashers/* corpus/pdf/ 2>/dev/null || true
rm -f corpus/pdf/README.md
cp ../samples/*.html corpus/html/
printf '<html><body><table><tr><td rowspan="2">a</td><td colspan="3">b</td></tr></table></body></html>' > corpus/html/tiny.html
cp ../samples/*.txt corpus/text/
head -c 4000 ../samples/seed_changzhi_2022_final.txt > corpus/text/head.txt
# The first byte picks which bundled file the input replaces (in bundle order: sorted paths).
i=0
for f in $(cd ../patterns && find . -name '*.toml' | sed 's|^\./||' | sort); do
  { printf "\\$(printf '%03o' "$i")"; cat "../patterns/$f"; } > "corpus/patterns/$(echo "$f" | tr / _)"
  i=$((i + 1))
done

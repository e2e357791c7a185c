#!/usr/bin/env bash
# Cost per page from 1 to 500 pages: builds documents of 1, 10, 100 and 500
# pages by repeating the pages of one PDF (examples/long_pdf.rs: new page
# objects sharing the original's content and fonts, as in one long
# disclosure), times `gongkai extract` on each (median of ROUNDS runs, one
# document, so one core) and prints ms/page and peak memory.
#
# usage: scripts/bench_pages.sh [ROUNDS] [PDF]   (default PDF: the 22-page
#        sample ../shared/samples/d_wp_portrait_uming.pdf; needs GNU time)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
src=${2:-${SHARED:-../shared}/samples/d_wp_portrait_uming.pdf}
[ -f "$src" ] || { echo "no $src (the shared samples are needed)" >&2; exit 1; }
cargo build --release --quiet --bin gongkai --example long_pdf
target=${CARGO_TARGET_DIR:-target}
bin=$target/release/gongkai
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
median() { sort -n | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
printf 'source %s; median of %s runs\n' "$src" "$rounds"
printf '%6s %10s %9s %12s\n' pages 'total s' ms/page 'peak RSS MB'
for n in 1 10 100 500; do
  "$target/release/examples/long_pdf" "$src" "$n" "$dir/$n.pdf"
  for _ in $(seq "$rounds"); do
    s=$(date +%s.%N)
    /usr/bin/time -f '%M' -o "$dir/mem" "$bin" extract -o /dev/null "$dir/$n.pdf"
    e=$(date +%s.%N)
    echo "$e - $s" | bc >> "$dir/times.$n"
    cat "$dir/mem" >> "$dir/mem.$n"
  done
  t=$(median < "$dir/times.$n")
  # Peak RSS: the larger of the parent and its PDF worker (GNU time reports
  # the maximum over the process and its waited-for children).
  m=$(sort -n < "$dir/mem.$n" | tail -1)
  printf '%6s %10.3f %9.2f %12.1f\n' "$n" "$t" "$(echo "$t * 1000 / $n" | bc -l)" "$(echo "$m / 1024" | bc -l)"
done

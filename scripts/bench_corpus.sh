#!/usr/bin/env bash
# Times `gongkai extract` over every PDF of ../shared/corpus and
# ../shared/samples against `pdftotext -layout` over the same files, in the
# same run, interleaved (ROUNDS rounds of each), and prints the ratio of the
# medians with all cores used and with one, plus the peak memory of a batch
# run with all cores: the largest single process (GNU time) and the sum over
# the process and its PDF workers (sampled every 20 ms).
#
# With BASELINE=PATH (another gongkai binary, e.g. one built from the commit
# before a change), that binary is timed too, interleaved in the same rounds,
# so a change is measured side by side against what it replaces.
#
# usage: [BASELINE=BIN] scripts/bench_corpus.sh [ROUNDS]   (needs pdftotext and GNU time)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
shared=${SHARED:-../shared}
cargo build --release --quiet --bin gongkai
bin=${CARGO_TARGET_DIR:-target}/release/gongkai
list=$(mktemp)
trap 'rm -f "$list"' EXIT
find "$shared/corpus" "$shared/samples" -name '*.pdf' -print0 | sort -z > "$list"
files=$(tr -cd '\0' < "$list" | wc -c)
pages=$(xargs -0 -n1 pdfinfo < "$list" 2>/dev/null | awk '/^Pages:/ {s += $2} END {print s}')
cores=$(nproc)
now() { date +%s.%N; }
median() { sort -n | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
run_pdftotext() { xargs -0 -n1 -P"$1" sh -c 'pdftotext -layout "$0" /dev/null 2>/dev/null || true' < "$list"; }
run_gongkai() { xargs -0 "$bin" extract --jobs "$1" -o /dev/null < "$list" || true; }
baseline=${BASELINE:-}
run_baseline() { xargs -0 "$baseline" extract --jobs "$1" -o /dev/null < "$list" || true; }
declare -A t
for mode in multi single; do
  jobs=$([ "$mode" = multi ] && echo "$cores" || echo 1)
  : > "/tmp/bench_p_$mode"; : > "/tmp/bench_g_$mode"; : > "/tmp/bench_b_$mode"
  for _ in $(seq "$rounds"); do
    s=$(now); run_pdftotext "$jobs"; e=$(now); echo "$e - $s" | bc >> "/tmp/bench_p_$mode"
    s=$(now); run_gongkai "$jobs" 2>/dev/null; e=$(now); echo "$e - $s" | bc >> "/tmp/bench_g_$mode"
    if [ -n "$baseline" ]; then
      s=$(now); run_baseline "$jobs" 2>/dev/null; e=$(now); echo "$e - $s" | bc >> "/tmp/bench_b_$mode"
    fi
  done
  t[p_$mode]=$(median < "/tmp/bench_p_$mode")
  t[g_$mode]=$(median < "/tmp/bench_g_$mode")
  [ -n "$baseline" ] && t[b_$mode]=$(median < "/tmp/bench_b_$mode")
done
mem=$(mktemp)
trap 'rm -f "$list" "$mem"' EXIT
xargs -0 /usr/bin/time -f '%M' -o "$mem" "$bin" extract -o /dev/null < "$list" 2>/dev/null &
sum=0
while kill -0 $! 2>/dev/null; do
  # The xargs shell's child gongkai and its __decode-worker children.
  s=$(ps -e -o pid=,ppid=,rss=,comm= | awk -v root=$! '
    {pp[$1] = $2; rss[$1] = $3}
    END {for (p in pp) {q = p; while (q in pp && q != root && q > 1) q = pp[q]; if (q == root) t += rss[p]} print t + 0}')
  [ "$s" -gt "$sum" ] && sum=$s
  sleep 0.02
done
wait
single=$(tail -1 "$mem")
printf 'files %s, pages %s, cores %s, rounds %s (medians)\n' "$files" "$pages" "$cores" "$rounds"
for mode in multi single; do
  p=${t[p_$mode]}; g=${t[g_$mode]}
  printf '%-6s pdftotext -layout %6.2f s   gongkai extract %6.2f s   ratio %.2f   gongkai %.1f ms/page\n' \
    "$mode" "$p" "$g" "$(echo "$g / $p" | bc -l)" "$(echo "$g * 1000 / $pages" | bc -l)"
  if [ -n "$baseline" ]; then
    b=${t[b_$mode]}
    printf '%-6s baseline %s %6.2f s   ratio %.2f\n' "$mode" "$baseline" "$b" "$(echo "$b / $p" | bc -l)"
  fi
done
printf 'peak memory of the whole batch: %.1f MB in all processes (sampled), %.1f MB largest process\n' \
  "$(echo "$sum / 1024" | bc -l)" "$(echo "$single / 1024" | bc -l)"

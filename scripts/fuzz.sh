#!/usr/bin/env bash
# Long fuzzing runs: every cargo-fuzz target in turn for an equal share of
# HOURS (default 1), seeded by fuzz/seed-corpus.sh, then a table of the
# executions each target reached and what it found. Crashes are kept by
# libFuzzer in fuzz/artifacts/<target>/; add each to tests/data/crashers/.
#
#   scripts/fuzz.sh [HOURS] [TARGET...]
#
# Needs cargo-fuzz (`cargo install cargo-fuzz`); RUSTC_BOOTSTRAP=1 lets it
# use nightly features on a stable toolchain, --sanitizer none needs no
# sanitizer runtime.
set -euo pipefail
cd "$(dirname "$0")/.."
hours="${1:-1}"
shift || true
targets=("$@")
if [ "${#targets[@]}" -eq 0 ]; then
  targets=(pdf html sheet docx text patterns)
fi
seconds=$(python3 -c "print(max(10, int(float('$hours') * 3600 / ${#targets[@]})))")
fuzz/seed-corpus.sh
cd fuzz
export RUSTC_BOOTSTRAP=1
cargo fuzz build --sanitizer none -O
logs="$(mktemp -d)"
status=0
for t in "${targets[@]}"; do
  echo "fuzz: $t for ${seconds} s" >&2
  if ! cargo fuzz run "$t" --sanitizer none -O -- \
      -max_total_time="$seconds" -timeout=30 -rss_limit_mb=4096 -print_final_stats=1 \
      >"$logs/$t.log" 2>&1; then
    status=1
  fi
done
printf '%-10s %14s %10s %8s %s\n' target executions exec/s coverage result
for t in "${targets[@]}"; do
  log="$logs/$t.log"
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*')
  if grep -q 'SUMMARY\|deadly signal\|Test unit written' "$log"; then
    result="FOUND: $(grep -o 'Test unit written to [^ ]*' "$log" | head -1)"
  else
    result=clean
  fi
  printf '%-10s %14s %10s %8s %s\n' "$t" "${execs:-?}" "${rate:-?}" "${cov:-?}" "$result"
done
echo "logs: $logs" >&2
exit "$status"

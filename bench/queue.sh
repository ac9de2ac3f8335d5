#!/usr/bin/env bash
# bench/queue.sh — the alert queue over 1M stored alerts (issue 16): a filtered, newest-first page
# with its total (`State::list_alerts`) and the bulk preview (`State::count_triage`), on SQLite and,
# when VIGIL_TEST_POSTGRES_URL is set, on PostgreSQL. Not part of CI.
#
#   bench/queue.sh
#   VIGIL_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:55432/postgres RUNS=50 bench/queue.sh
#   BACKENDS=sqlite ALERTS=100000 QUEUE_DIR=/tmp/vq-small bench/queue.sh     # a quick look
#
# Runs `cargo bench -p vigil-state --bench queue` (release profile; crates/vigil-state/benches/
# queue.rs says what the fixture holds and what is timed). The fixture (1,000,000 + 100,000
# alerts) is built on the first run — a few minutes a backend on 2 cores — and reused while its
# marker matches: the SQLite file in QUEUE_DIR (default $TMPDIR/vigil-bench-queue), the
# PostgreSQL database QUEUE_PG_DB (default vigil_bench_queue). Remove either to rebuild.
# Writes bench/out/queue-report.md (the machine, then the bench's tables).
set -euo pipefail
cd "$(git rev-parse --show-toplevel)"
OUT=bench/out
mkdir -p "$OUT"
REPORT="$OUT/queue-report.md"

echo "building the bench (release) ..." >&2
cargo bench --locked -p vigil-state --bench queue --no-run -q

{
  echo "# Alert queue bench — $(date -u +%Y-%m-%dT%H:%MZ)"
  echo
  echo "- commit: $(git describe --always --dirty)"
  echo "- nproc: $(nproc), uname -m: $(uname -m), memory: $(free -g | awk '/^Mem:/ { print $2 " GiB total, " $7 " GiB available" }')"
  echo "- load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
  if [ -n "${VIGIL_TEST_POSTGRES_URL:-}" ] && command -v psql >/dev/null; then
    echo "- PostgreSQL: $(psql "$VIGIL_TEST_POSTGRES_URL" -Atc "SELECT split_part(version(), ' ', 2) || ', shared_buffers ' || current_setting('shared_buffers') || ', work_mem ' || current_setting('work_mem') || ', effective_cache_size ' || current_setting('effective_cache_size')" 2>/dev/null || echo '?')"
  fi
  echo
} > "$REPORT"
cat "$REPORT" >&2

START=$(date +%s)
cargo bench --locked -p vigil-state --bench queue -q | tee -a "$REPORT"
echo "- wall time of the bench (fixture builds included): $(( $(date +%s) - START )) s; load average after: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$REPORT"
echo "report: $REPORT" >&2

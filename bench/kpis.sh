#!/usr/bin/env bash
# bench/kpis.sh — GET /api/v1/kpis over a state database of 1M alerts and 100k incidents (issue 17),
# before and after the measure indexes (migration sqlite/0013_measure_indexes.sql), on SQLite.
# Not part of CI.
#
#   bench/kpis.sh
#   ALERTS=100000 INCIDENTS=10000 RUNS=3 bench/kpis.sh            # a quick look
#   VIGIL_BIN=target/debug/vigil bench/kpis.sh                     # a built binary (dev is optimized)
#
# The fixture comes from bench/kpi_fixture.py (set-based INSERT … SELECT into the schema the
# server migrated; spread over the 90 days before now). The server runs twice on it: first with
# the three measure indexes dropped ("before"), then with them created again ("after"); each
# request is timed RUNS times with curl, and the median reported. The measure gauges' refresh
# time is read from /metrics (`vigil_measure_gauges_refresh_seconds`). When `vigil report`
# exists, the monthly JSON report is timed too. Writes bench/out/kpis-report.md.
set -euo pipefail
cd "$(git rev-parse --show-toplevel)"
ALERTS=${ALERTS:-1000000}
INCIDENTS=${INCIDENTS:-100000}
RUNS=${RUNS:-5}
PORT=${PORT:-9293}
SYSLOG_PORT=${SYSLOG_PORT:-9294}
OUT=bench/out
mkdir -p "$OUT"
REPORT="$OUT/kpis-report.md"
VIGIL=${VIGIL_BIN:-target/release/vigil}
[ -n "${VIGIL_BIN:-}" ] || cargo build --release --locked -p vigil -q

DATA=$(mktemp -d /tmp/vigil-bench-kpis.XXXXXX)
SERVER=
cleanup() {
  [ -z "$SERVER" ] || { kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; }
  [ "${KEEP:-0}" = 1 ] || rm -rf "$DATA"
}
trap cleanup EXIT
mkdir -p "$DATA/rules"
cat > "$DATA/vigil.toml" <<TOML
version = 1
data_dir = "$DATA/data"
[http]
listen = "127.0.0.1:$PORT"
[syslog]
udp = "127.0.0.1:$SYSLOG_PORT"
tcp = "127.0.0.1:$SYSLOG_PORT"
[rules]
paths = ["$DATA/rules"]
TOML
TOKEN=$("$VIGIL" token create --data-dir "$DATA/data" --scope admin --name bench 2>/dev/null | tail -1)
DB="$DATA/data/state.db"
START=$(date +%s.%N)
python3 bench/kpi_fixture.py --backend sqlite --alerts "$ALERTS" --incidents "$INCIDENTS" | sqlite3 "$DB" > /dev/null
FILL=$(awk -v s="$START" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')
echo "fixture: $ALERTS alerts, $INCIDENTS incidents in ${FILL}s; $(du -h "$DB" | cut -f1)" >&2

URL="http://127.0.0.1:$PORT"
serve() {
  "$VIGIL" serve --config "$DATA/vigil.toml" > "$DATA/serve.log" 2>&1 &
  SERVER=$!
  until curl -sf "$URL/readyz" > /dev/null; do
    kill -0 "$SERVER" 2>/dev/null || { cat "$DATA/serve.log" >&2; exit 1; }
    sleep 0.2
  done
}
stop() {
  kill "$SERVER"; wait "$SERVER" 2>/dev/null || true; SERVER=
}
# The median of RUNS timings of GET $1, in seconds.
median_get() {
  local times=()
  for _ in $(seq "$RUNS"); do
    times+=("$(curl -s -o /dev/null -w '%{http_code} %{time_total}' -H "Authorization: Bearer $TOKEN" "$URL$1" \
      | awk '$1 != 200 { print "HTTP " $1 > "/dev/stderr"; exit 1 } { print $2 }')")
  done
  printf '%s\n' "${times[@]}" | sort -n | awk '{ a[NR] = $1 } END { printf "%.3f", a[int((NR + 1) / 2)] }'
}
gauge_refresh() {
  # The first refresh runs at start; wait for it.
  for _ in $(seq 600); do
    v=$(curl -s -H "Authorization: Bearer $TOKEN" "$URL/metrics" | awk '$1 == "vigil_measure_gauges_refresh_seconds" { print $2 }')
    [ -z "$v" ] || { printf '%.3f' "$v"; return; }
    sleep 0.5
  done
  echo "?"
}
QUERIES=(
  "/api/v1/kpis?from=30d"
  "/api/v1/kpis?from=30d&group_by=rule&trend=week"
  "/api/v1/kpis?from=90d&trend=month"
  "/api/v1/handover?since=12h"
)
declare -A BEFORE AFTER
run_all() {
  local -n into=$1
  for q in "${QUERIES[@]}"; do into[$q]=$(median_get "$q"); echo "  $q: ${into[$q]}s" >&2; done
  into[gauges]=$(gauge_refresh)
  echo "  gauge refresh: ${into[gauges]}s" >&2
}

echo "before: measure indexes dropped" >&2
sqlite3 "$DB" "DROP INDEX alerts_tenant_detected; DROP INDEX incidents_tenant_created; DROP INDEX incident_timeline_tenant_at;"
serve; run_all BEFORE; stop
echo "after: measure indexes created" >&2
sqlite3 "$DB" < crates/vigil-state/migrations/sqlite/0013_measure_indexes.sql
sqlite3 "$DB" "ANALYZE;"
serve; run_all AFTER
REPORT_TIME="(no vigil report)"
if "$VIGIL" report --help > /dev/null 2>&1; then
  START=$(date +%s.%N)
  if "$VIGIL" report --server "$URL" --token "$TOKEN" --from 30d --to now --format json -o "$DATA/report.json" > /dev/null 2>&1; then
    REPORT_TIME="$(awk -v s="$START" -v e="$(date +%s.%N)" 'BEGIN { printf "%.3f", e - s }')s"
  else
    REPORT_TIME="(vigil report failed: see KEEP=1 $DATA)"
  fi
fi
stop

{
  echo "# KPIs over $ALERTS alerts and $INCIDENTS incidents — $(date -u +%Y-%m-%dT%H:%MZ)"
  echo
  echo "- binary: $VIGIL ($(git describe --always --dirty)); SQLite state $(du -h "$DB" | cut -f1), fixture filled in ${FILL}s"
  echo "- nproc: $(nproc), uname -m: $(uname -m), load average: $(cut -d' ' -f1-3 /proc/loadavg); median of $RUNS runs (curl time_total)"
  echo
  echo "| request | before (no measure indexes) | after |"
  echo "|---|---|---|"
  for q in "${QUERIES[@]}"; do echo "| \`$q\` | ${BEFORE[$q]} s | ${AFTER[$q]} s |"; done
  echo "| measure gauges' refresh (server task) | ${BEFORE[gauges]} s | ${AFTER[gauges]} s |"
  echo
  echo "- \`vigil report --from 30d --format json\` (after): $REPORT_TIME"
} | tee "$REPORT"

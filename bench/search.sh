#!/usr/bin/env bash
# bench/search.sh — search latency over a large stored history, bytes on disk per event, and rg
# over the same raw NDJSON beside it.
#
#   bench/search.sh                  # 10M events
#   EVENTS=1000000 REPEAT=50 bench/search.sh
#
# 1. Generates EVENTS flat Windows events (bench/gen_corpus.py: ~8 h of event time at 3 ms apart,
#    440 hosts, 800 users) and stores them through `_bulk` into a release `vigil serve` without
#    rules (this measures the store; bench/ingest.sh measures ingest with detection).
# 2. Times each query of the list below REPEAT times after a warm-up (one client, sequential:
#    p50/p90/p99/max) through POST /api/v1/search — HTTP, JSON and the store together.
# 3. Times rg over the raw NDJSON for the same term and for the same top-N (rg | sort | uniq -c).
# Writes bench/out/search-report.md.
set -euo pipefail
cd "$(git rev-parse --show-toplevel)"
EVENTS=${EVENTS:-10000000}
REPEAT=${REPEAT:-30}
PORT=${PORT:-19201}
OUT=bench/out
mkdir -p "$OUT"
source bench/serve-lib.sh
bench_build

NDJSON="$OUT/corpus-$EVENTS.ndjson"
if bench_stale "$NDJSON"; then
  echo "generating $EVENTS events ..." >&2
  python3 bench/gen_corpus.py --events "$EVENTS" --out "$NDJSON"
fi
RAW_BYTES=$(stat -c %s "$NDJSON")
FIRST=$(head -c 200 "$NDJSON" | grep -oE '"TimeCreated":"[^"]+"' | cut -d'"' -f4)
# One hour of event time, starting an hour after the first event.
FROM=$(date -u -d "$FIRST + 1 hour" +%Y-%m-%dT%H:%M:%SZ)
TO=$(date -u -d "$FIRST + 2 hours" +%Y-%m-%dT%H:%M:%SZ)

DATA=${DATA:-$(mktemp -d /tmp/vigil-bench-search.XXXXXX)}
KEEP=${KEEP:-0}
mkdir -p "$DATA"
cat > "$DATA/vigil.toml" <<EOF
version = 1
data_dir = "$DATA/data"
[http]
listen = "127.0.0.1:$PORT"
# One client times queries back to back: the per-token API limit (default 50/s) would answer 429.
api_rate_limit = 0
[syslog]
udp = "off"
tcp = "off"
EOF
bench_serve "$DATA" "$PORT" "$KEEP"

STORED=$(curl -s "$URL/metrics" | awk '$1 == "vigil_store_events" { print $2 }')
if [ "${STORED%.*}" -lt "$EVENTS" ]; then
  echo "storing $EVENTS events through _bulk ..." >&2
  rm -f "$OUT/search-fill.json"
  "$LOADGEN" bulk --url "$URL" --pid "$SERVER" --file "$NDJSON" | tee "$OUT/search-fill.json" >&2
fi
# Let the last commit land and background merges settle before timing.
sleep 5
until [ "$(curl -s "$URL/metrics" | awk '$1 == "vigil_pipeline_lag_records" { print $2 }')" = 0 ]; do sleep 1; done
sleep 10
METRICS=$(curl -s "$URL/metrics")
STORE_BYTES=$(awk '$1 == "vigil_store_bytes" { print $2 }' <<<"$METRICS")
STORE_EVENTS=$(awk '$1 == "vigil_store_events" { print $2 }' <<<"$METRICS")
PARTS=$(awk '$1 == "vigil_store_partitions" { print $2 }' <<<"$METRICS")

cat > "$OUT/search-queries.jsonl" <<EOF
{"name": "term + 1 h range (Computer:ws0042…)", "body": {"query": "Computer:ws0042.corp.example", "from": "$FROM", "to": "$TO", "size": 100}}
{"name": "term, all time (EventID:4625)", "body": {"query": "EventID:4625", "size": 100}}
{"name": "AND of two terms, all time", "body": {"query": "EventID:1 AND User:\"CORP\\\\\\\\user0042\"", "size": 100}}
{"name": "wildcard *\\\\powershell.exe, all time", "body": {"query": "Image:*\\\\\\\\powershell.exe", "size": 100}}
{"name": "CIDR on an IP field, 1 h range", "body": {"query": "IpAddress:10.1.7.0/24", "from": "$FROM", "to": "$TO", "size": 100}}
{"name": "top-10 Computer, 1 h range", "body": {"query": "EventID:1", "from": "$FROM", "to": "$TO", "size": 0, "aggs": {"top": {"terms": {"field": "Computer", "size": 10}}}}}
{"name": "top-10 Computer, all time", "body": {"query": "EventID:1", "size": 0, "aggs": {"top": {"terms": {"field": "Computer", "size": 10}}}}}
{"name": "date histogram 10m + cardinality(User), all time", "body": {"query": "EventID:3", "size": 0, "aggs": {"h": {"date_histogram": {"interval": "10m"}}, "u": {"cardinality": {"field": "User"}}}}}
EOF
echo "timing queries ($REPEAT runs each) ..." >&2
"$LOADGEN" search --url "$URL" --queries "$OUT/search-queries.jsonl" --repeat "$REPEAT" | tee "$OUT/search-times.jsonl" >&2
RSS=$(awk '/VmRSS/ { printf "%.0f", $2 / 1024 }' "/proc/$SERVER/status")

echo "timing rg over the raw NDJSON ..." >&2
cat "$NDJSON" > /dev/null  # page cache warm, as the store's files are
rg_time() { /usr/bin/time -f '%e' -o "$OUT/rg-time.txt" bash -c "$1" > "$OUT/rg-out.txt"; cat "$OUT/rg-time.txt"; }
RG_TERM=$(rg_time "rg -c -F '\"Computer\":\"ws0042.corp.example\"' '$NDJSON'")
RG_TERM_HITS=$(cat "$OUT/rg-out.txt")
RG_TOP=$(rg_time "rg -o -N '\"EventID\":1,.*?\"Computer\":\"[^\"]*\"' '$NDJSON' | rg -o '\"Computer\":\"[^\"]*\"' | sort | uniq -c | sort -rn | head -10")

python3 - "$OUT" "$EVENTS" "$RAW_BYTES" "$STORE_BYTES" "$STORE_EVENTS" "$PARTS" "$RSS" "$RG_TERM" "$RG_TERM_HITS" "$RG_TOP" "$REPEAT" "$(bench_label)" <<'EOF'
import json, sys, datetime, os
out, events, raw, sbytes, sevents, parts, rss, rg_term, rg_hits, rg_top, repeat, rev = sys.argv[1:]
now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%MZ")
fill = None
if os.path.exists(os.path.join(out, "search-fill.json")):
    fill = json.load(open(os.path.join(out, "search-fill.json")))
times = [json.loads(l) for l in open(os.path.join(out, "search-times.jsonl")) if l.strip()]
lines = [f"### Search run of {now} — {os.cpu_count()} cores, x86_64, vigil {rev}", "",
         f"Store: {int(float(sevents))} events in {parts} partition(s), {float(sbytes) / 2**30:.2f} GiB on disk = "
         f"{float(sbytes) / float(sevents):.0f} B/event; raw NDJSON {int(raw) / 2**30:.2f} GiB = {int(raw) / int(events):.0f} B/event "
         f"→ **{float(sbytes) / int(raw):.2f}× raw**. Server RSS after the queries: {rss} MiB."]
if fill:
    lines.append(f"Filled through `_bulk` without rules: {fill['e2e_events_per_sec']:.0f} events/s end-to-end, "
                 f"peak RSS {fill['rss_mib']['max']:.0f} MiB.")
lines += ["", f"POST /api/v1/search, one client, {repeat} runs after a warm-up:", "",
          "| query | hits | p50 ms | p90 ms | p99 ms | max ms |", "|---|---:|---:|---:|---:|---:|"]
for t in times:
    lines.append(f"| {t['name']} | {t['total']} | **{t['p50_ms']}** | {t['p90_ms']} | {t['p99_ms']} | {t['max_ms']} |")
lines += ["", f"rg over the same raw NDJSON (page cache warm): term `\"Computer\":\"ws0042…\"` {rg_term} s "
          f"({rg_hits.strip()} lines); top-10 Computer of EventID 1 (`rg | sort | uniq -c`) {rg_top} s.", ""]
open(os.path.join(out, "search-report.md"), "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
EOF

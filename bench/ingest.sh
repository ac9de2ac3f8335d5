#!/usr/bin/env bash
# bench/ingest.sh — end-to-end ingest throughput, event→alert latency and RSS of `vigil serve`
# with every SigmaHQ rule loaded, on this machine, in one run.
#
#   bench/ingest.sh                      # 1M events per phase
#   EVENTS=200000 bench/ingest.sh
#   RATE=20000 bench/ingest.sh           # the paced (latency) phase's events/s
#   KEEP=1 bench/ingest.sh               # keep the server's data dir (its path is printed)
#
# Phases, each against one running server (release build, rules = ../shared/sigma/rules):
#   1. `_bulk` at full speed: EVENTS flat Windows events (bench/gen_corpus.py), 4 connections,
#      2,000 events per request, 429 honoured. End-to-end = from the first request until the
#      server has indexed the last event (its /metrics), so parsing, detection, alerting and the
#      store commit are all inside the figure.
#   2. syslog over TCP at full speed: EVENTS RFC 5424 Linux lines, 2 connections, LF framing
#      (logsource product=linux, as an operator would configure it).
#   3. `_bulk` paced at RATE events/s for PACED_EVENTS: the event→alert latency an analyst sees
#      when the server is not saturated (phase 1 measures it at saturation, which is queueing).
#   rg over the raw NDJSON is timed beside (a single-pass, no-index floor for reading the bytes).
# The load generator (crates/vigil/examples/loadgen.rs) shares the 2 cores with the server.
# Writes bench/out/ingest-report.md. Needs ../shared (skips with a message).
set -euo pipefail
cd "$(git rev-parse --show-toplevel)"
SHARED=${SHARED:-../shared}
EVENTS=${EVENTS:-1000000}
RATE=${RATE:-20000}
PACED_EVENTS=${PACED_EVENTS:-$((RATE * 30))}
PORT=${PORT:-19200}
SYSLOG_PORT=${SYSLOG_PORT:-15514}
OUT=bench/out
mkdir -p "$OUT"
if [ ! -d "$SHARED/sigma/rules" ]; then
  echo "bench/ingest.sh: $SHARED/sigma/rules is absent; nothing to measure" >&2
  exit 0
fi
source bench/serve-lib.sh
bench_build

NDJSON="$OUT/corpus-$EVENTS.ndjson"
SYSLOG="$OUT/corpus-$EVENTS.log"
if bench_stale "$NDJSON"; then python3 bench/gen_corpus.py --events "$EVENTS" --out "$NDJSON"; fi
if bench_stale "$SYSLOG"; then python3 bench/gen_corpus.py --format syslog --events "$EVENTS" --out "$SYSLOG"; fi
PACED="$OUT/corpus-paced-$PACED_EVENTS.ndjson"
if bench_stale "$PACED"; then python3 bench/gen_corpus.py --seed 11 --events "$PACED_EVENTS" --out "$PACED"; fi

DATA=$(mktemp -d /tmp/vigil-bench-ingest.XXXXXX)
cat > "$DATA/vigil.toml" <<EOF
version = 1
data_dir = "$DATA/data"
[http]
listen = "127.0.0.1:$PORT"
[syslog]
udp = "off"
tcp = "127.0.0.1:$SYSLOG_PORT"
logsource = "product=linux"
[rules]
paths = ["$(realpath "$SHARED/sigma/rules")"]
EOF
bench_serve "$DATA" "$PORT" "${KEEP:-0}"
[ "${KEEP:-0}" = 1 ] && echo "data dir kept: $DATA" >&2
RULES=$(curl -s "http://127.0.0.1:$PORT/metrics" | awk '$1 == "vigil_rules_compiled" { print $2 }')
echo "server ready in ${READY}s with $RULES rules" >&2

echo "phase 1: _bulk, $EVENTS events, full speed ..." >&2
"$LOADGEN" bulk --url "$URL" --pid "$SERVER" --file "$NDJSON" | tee "$OUT/ingest-bulk.json" >&2
echo "phase 2: syslog TCP, $EVENTS lines, full speed ..." >&2
"$LOADGEN" syslog --url "$URL" --pid "$SERVER" --addr "127.0.0.1:$SYSLOG_PORT" --file "$SYSLOG" | tee "$OUT/ingest-syslog.json" >&2
echo "phase 3: _bulk paced at $RATE events/s, $PACED_EVENTS events ..." >&2
"$LOADGEN" bulk --url "$URL" --pid "$SERVER" --file "$PACED" --rate "$RATE" --batch 500 --connections 2 | tee "$OUT/ingest-paced.json" >&2
METRICS=$(curl -s "$URL/metrics")
STORE_BYTES=$(awk '$1 == "vigil_store_bytes" { print $2 }' <<<"$METRICS")
STORE_EVENTS=$(awk '$1 == "vigil_store_events" { print $2 }' <<<"$METRICS")
DROPPED=$(awk '$1 == "vigil_dropped_events_total" { print $2 }' <<<"$METRICS")

RG=$( { /usr/bin/time -f '%e' rg -c 'powershell' "$NDJSON" > /dev/null; } 2>&1 | tail -1)

python3 - "$OUT" "$EVENTS" "$RATE" "$READY" "$RULES" "$STORE_BYTES" "$STORE_EVENTS" "$DROPPED" "$RG" \
  "$(stat -c %s "$NDJSON")" "$(stat -c %s "$SYSLOG")" "$(stat -c %s "$PACED")" "$(bench_label)" <<'EOF'
import json, sys, datetime, os
out, events, rate, ready, rules, sbytes, sevents, dropped, rg, nd_size, sl_size, paced_size, rev = sys.argv[1:]
load = lambda n: json.load(open(os.path.join(out, n)))
bulk, syslog, paced = load("ingest-bulk.json"), load("ingest-syslog.json"), load("ingest-paced.json")
raw = int(nd_size) + int(sl_size) + int(paced_size)
ms = lambda s: "–" if s is None else f"{s * 1000:.0f}"
now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%MZ")
lines = [
    f"### Ingest run of {now} — {os.cpu_count()} cores, x86_64, vigil {rev}", "",
    f"Server: `vigil serve`, release build, {rules} SigmaHQ rules compiled, ready in {ready} s. "
    f"The load generator runs on the same 2 cores.", "",
    "| phase | events | e2e s | **events/s end-to-end** | accept events/s | 429s | alerts | alert latency p50 / p99 ms | RSS max MiB (25/50/75/100 %) | anon RSS max MiB |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
]
for name, r in [("`_bulk` Windows (full speed)", bulk), ("syslog TCP Linux (full speed)", syslog),
                (f"`_bulk` Windows paced at {rate}/s", paced)]:
    rss = r["rss_mib"]
    lines.append(f"| {name} | {r['events']} | {r['e2e_secs']:.1f} | **{r['e2e_events_per_sec']:.0f}** | "
                 f"{r['send_events_per_sec']:.0f} | {r['throttled_429']} | {r['alerts']:.0f} | "
                 f"{ms(r['latency_p50_secs'])} / {ms(r['latency_p99_secs'])} | "
                 f"{rss['max']:.0f} ({rss['at_25pct']}/{rss['at_50pct']}/{rss['at_75pct']}/{rss['at_end']}) | "
                 f"{r['anon_mib']['max']:.0f} |")
lines += ["",
    f"Stored: {sevents} events in {int(float(sbytes)) / 2**20:.0f} MiB = {float(sbytes) / float(sevents):.0f} B/event; "
    f"raw input {raw / 2**20:.0f} MiB = {raw / float(sevents):.0f} B/event → **{float(sbytes) / raw:.2f}× raw**. "
    f"Dropped events: {dropped}. `rg -c powershell` over the raw {int(nd_size) / 2**20:.0f} MiB NDJSON: {rg} s.", ""]
open(os.path.join(out, "ingest-report.md"), "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
EOF

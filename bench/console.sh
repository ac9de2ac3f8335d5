#!/usr/bin/env bash
# bench/console.sh — the web console's quality targets (issue 18): first load on loopback, JS+CSS
# gzip bytes of the first page against the 400 KB budget, and scrolling a 10,000-alert queue.
# Not part of CI; run it when asked:
#
#   bench/console.sh                 # ALERTS=10000 RUNS=5 SCROLL_MS=10000
#   VIGIL_BIN=target/debug/vigil ALERTS=2000 bench/console.sh   # a quick look with a debug build
#
# Builds the console (scripts/build-console) and release vigil, starts `vigil serve` in a temporary
# directory with one Sigma rule (failed logons, EventID 4625) and grouping off, ingests a generated
# NDJSON file of ALERTS failed logons — each one alert — waits until all are stored, then runs
# bench/console.mjs (Debian's Chromium through tests/browser's playwright-core; see its header for
# what is measured). Writes bench/out/console-report.md.
set -euo pipefail
cd "$(git rev-parse --show-toplevel)"
ALERTS=${ALERTS:-10000}
OUT=bench/out
mkdir -p "$OUT"
REPORT="$OUT/console-report.md"

[ -d tests/browser/node_modules/playwright-core ] || (cd tests/browser && npm ci --no-audit --no-fund)
if [ -z "${VIGIL_BIN:-}" ]; then
  scripts/build-console
  echo "building release vigil ..." >&2
  cargo build --release --locked -p vigil -q
fi
VIGIL=${VIGIL_BIN:-target/release/vigil}

DIR=$(mktemp -d /tmp/vigil-bench-console.XXXXXX)
SERVER=""
cleanup() {
  [ -z "$SERVER" ] || { kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; }
  rm -rf "$DIR"
}
trap cleanup EXIT
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
URL="http://127.0.0.1:$PORT"

mkdir -p "$DIR/rules"
cat >"$DIR/rules/failed-logon.yml" <<'EOF'
title: Failed logon (console bench)
id: 5d7e4c0a-1b5f-4e8e-9a57-0c3b9f1c0b18
status: test
description: Every failed logon, so the bench's generated events give one alert each.
logsource:
    product: windows
    service: security
detection:
    selection:
        EventID: 4625
    condition: selection
level: medium
tags:
    - attack.credential-access
    - attack.t1110
EOF
cat >"$DIR/vigil.toml" <<EOF
version = 1

[pipeline]
commit_interval = "200ms"

[grouping]
window = "off"
EOF

python3 - "$ALERTS" >"$DIR/events.ndjson" <<'EOF'
import json, sys
n = int(sys.argv[1])
for i in range(n):
    print(json.dumps({
        "TimeCreated": "2026-12-07T%02d:%02d:%02d.%03dZ" % (i // 3600 % 24, i // 60 % 60, i % 60, i % 1000),
        "EventID": 4625, "Channel": "Security", "Provider_Name": "Microsoft-Windows-Security-Auditing",
        "Computer": "ws%04d.corp.example" % (i % 400), "EventRecordID": i + 1,
        "TargetUserName": "user%04d" % (i % 800), "IpAddress": "10.1.%d.%d" % (i // 250 % 250, i % 250 + 1),
        "LogonType": 3, "Status": "0xc000006d",
    }))
EOF

PASSWORD="bench-console-$RANDOM$RANDOM"
printf '%s' "$PASSWORD" | "$VIGIL" user add bench-admin --role admin --password-stdin --data-dir "$DIR/data" >/dev/null
INGEST=$("$VIGIL" apikey create --role ingest --name bench-ingest --data-dir "$DIR/data" | tail -1)
ADMIN=$("$VIGIL" apikey create --role admin --name bench-admin --data-dir "$DIR/data" | tail -1)

"$VIGIL" serve --config "$DIR/vigil.toml" --data-dir "$DIR/data" --http "127.0.0.1:$PORT" \
  --syslog-udp off --syslog-tcp off --rules "$DIR/rules" >"$DIR/serve.log" 2>&1 &
SERVER=$!
until curl -sf "$URL/readyz" >/dev/null; do
  kill -0 "$SERVER" 2>/dev/null || { cat "$DIR/serve.log" >&2; exit 1; }
  sleep 0.2
done
"$VIGIL" ingest --server "$URL" --token "$INGEST" "$DIR/events.ndjson" >/dev/null
echo "ingested $ALERTS events; waiting for the alerts ..." >&2
for _ in $(seq 1 600); do
  TOTAL=$(curl -sf -H "Authorization: Bearer $ADMIN" "$URL/api/v1/alerts?limit=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])')
  [ "$TOTAL" -ge "$ALERTS" ] && break
  sleep 0.5
done
[ "$TOTAL" -ge "$ALERTS" ] || { echo "only $TOTAL alerts of $ALERTS" >&2; tail -20 "$DIR/serve.log" >&2; exit 1; }

{
  echo "# Console bench — $(date -u +%Y-%m-%dT%H:%MZ)"
  echo
  echo "- commit: $(git describe --always --dirty); binary: $VIGIL"
  echo "- nproc: $(nproc), uname -m: $(uname -m), load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "- queue: $TOTAL alerts (one Sigma rule, grouping off, $ALERTS generated failed logons)"
  echo
  VIGIL_URL="$URL/" VIGIL_USER=bench-admin VIGIL_PASSWORD="$PASSWORD" node bench/console.mjs
} | tee "$REPORT"
echo "report: $REPORT" >&2

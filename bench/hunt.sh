#!/usr/bin/env bash
# bench/hunt.sh — `vigil hunt` against its peers, on this machine, in one run.
#
#   bench/hunt.sh              # EVTX comparison + 1M-event NDJSON throughput
#   EVENTS=200000 bench/hunt.sh
#   RUNS=5 NDJSON_RUNS=3 bench/hunt.sh   # repetitions (median wall time, max RSS)
#
# Measures wall time, events/s and peak RSS (GNU time) of:
#   1. bare EVTX parsing (the floor): the evtx crate reading every record, parallel over files;
#   2. vigil hunt over ../shared/evtx with all SigmaHQ rules (rules/);
#   3. rsigma 0.23 (`rsigma engine eval -r rules -e @file.evtx`), one process per file, 2 at a time
#      (rsigma takes one file per run; xargs -P uses both cores, as vigil does);
#   4. vigil hunt and rsigma over a generated NDJSON corpus (bench/gen_corpus.py).
# Writes a Markdown report to bench/out/hunt-report.md. Needs ../shared (skips with a message).
set -euo pipefail
cd "$(git rev-parse --show-toplevel)"
SHARED=${SHARED:-../shared}
RUNS=${RUNS:-3}
NDJSON_RUNS=${NDJSON_RUNS:-1}
EVENTS=${EVENTS:-1000000}
OUT=bench/out
mkdir -p "$OUT"
if [ ! -d "$SHARED/evtx" ] || [ ! -d "$SHARED/sigma/rules" ]; then
  echo "bench/hunt.sh: $SHARED/evtx or $SHARED/sigma/rules is absent; nothing to measure" >&2
  exit 0
fi
command -v /usr/bin/time >/dev/null || { apt-get update -qq && apt-get install -y -qq time; }

RSIGMA=${RSIGMA:-$(command -v rsigma || echo /opt/rsigma/bin/rsigma)}
if [ ! -x "$RSIGMA" ]; then
  echo "installing rsigma 0.23.0 (the peer) into /opt/rsigma ..." >&2
  cargo install rsigma --version 0.23.0 --locked --features evtx --root /opt/rsigma
  RSIGMA=/opt/rsigma/bin/rsigma
fi

echo "building release binaries ..." >&2
cargo build --release --locked -p vigil -q
cargo build --release --locked -p vigil-parse --example evtx_floor -q
VIGIL=target/release/vigil
FLOOR=target/release/examples/evtx_floor
RULES="$SHARED/sigma/rules"

# measure NAME CMD...: runs CMD $RUNS times; records median wall seconds and max RSS (MiB).
declare -A WALL RSS
measure() {
  local name=$1; shift
  local walls=() rss=0
  for _ in $(seq "$RUNS"); do
    /usr/bin/time -f '%e %M' -o "$OUT/time.txt" "$@" > "$OUT/$name.out" 2> "$OUT/$name.err" || { echo "$name failed:" >&2; tail -5 "$OUT/$name.err" >&2; exit 1; }
    read -r w m < "$OUT/time.txt"
    walls+=("$w"); [ "$m" -gt "$rss" ] && rss=$m
  done
  WALL[$name]=$(printf '%s\n' "${walls[@]}" | sort -n | sed -n "$(( (RUNS + 1) / 2 ))p")
  RSS[$name]=$(( rss / 1024 ))
  echo "$name: ${WALL[$name]} s (median of $RUNS), peak RSS ${RSS[$name]} MiB" >&2
}

# rsigma over every EVTX file, two processes at a time; peak RSS is the largest single process.
rsigma_evtx() {
  find "$SHARED/evtx" -name '*.evtx' -print0 |
    xargs -0 -P 2 -I{} /usr/bin/time -f '%M' -a -o "$OUT/rsigma-rss.txt" "$RSIGMA" engine eval -r "$RULES" -e @{} > "$OUT/rsigma-evtx.jsonl" 2>/dev/null
}
export -f rsigma_evtx
export SHARED RULES RSIGMA OUT

EVTX_EVENTS=$("$FLOOR" "$SHARED/evtx" | awk '{print $1}')
measure floor "$FLOOR" "$SHARED/evtx"
measure flatten "$FLOOR" --flatten "$SHARED/evtx"
measure vigil "$VIGIL" hunt --quiet -o jsonl -r "$RULES" "$SHARED/evtx"
VIGIL_HITS=$(wc -l < "$OUT/vigil.out")
# rsigma reloads every rule for each file (~1.3 s each here), so one pass takes minutes: run it once.
: > "$OUT/rsigma-rss.txt"
RUNS_SAVED=$RUNS; RUNS=1
measure rsigma bash -c rsigma_evtx
RUNS=$RUNS_SAVED
RSIGMA_HITS=$(wc -l < "$OUT/rsigma-evtx.jsonl")
RSIGMA_PROC_RSS=$(( $(sort -n "$OUT/rsigma-rss.txt" | tail -1) / 1024 ))

CORPUS="$OUT/corpus-$EVENTS.ndjson"
# Made again when missing or older than the generator.
if [ ! -s "$CORPUS" ] || [ bench/gen_corpus.py -nt "$CORPUS" ]; then
  python3 bench/gen_corpus.py --events "$EVENTS" --out "$CORPUS"
fi
CORPUS_MB=$(( $(stat -c %s "$CORPUS") / 1048576 ))
RUNS_SAVED=$RUNS; RUNS=$NDJSON_RUNS
measure vigil_ndjson "$VIGIL" hunt --quiet -o jsonl -r "$RULES" "$CORPUS"
VIGIL_NDJSON_HITS=$(wc -l < "$OUT/vigil_ndjson.out")
measure vigil_ndjson_1core "$VIGIL" hunt --quiet -j 1 -o jsonl -r "$RULES" "$CORPUS"
measure rsigma_ndjson "$RSIGMA" engine eval -r "$RULES" -e @"$CORPUS"
RSIGMA_NDJSON_HITS=$(wc -l < "$OUT/rsigma_ndjson.out")
RUNS=$RUNS_SAVED

rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
{
  echo "### Run of $(date -u +%Y-%m-%dT%H:%MZ) — $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -m), vigil $(git describe --always --dirty)"
  echo
  echo "EVTX: $EVTX_EVENTS records in $(find "$SHARED/evtx" -name '*.evtx' | wc -l) files of \`../shared/evtx\`; rules: $(find "$RULES" -name '*.yml' | wc -l) SigmaHQ rules (\`rules/\`). Median of $RUNS runs."
  echo
  echo "| run | wall s | events/s | peak RSS MiB | detections |"
  echo "|---|---:|---:|---:|---:|"
  echo "| bare EVTX parsing (floor) | ${WALL[floor]} | $(rate "$EVTX_EVENTS" "${WALL[floor]}") | ${RSS[floor]} | – |"
  echo "| parse + flatten (Vigil's parse stage) | ${WALL[flatten]} | $(rate "$EVTX_EVENTS" "${WALL[flatten]}") | ${RSS[flatten]} | – |"
  echo "| **vigil hunt** | ${WALL[vigil]} | $(rate "$EVTX_EVENTS" "${WALL[vigil]}") | ${RSS[vigil]} | $VIGIL_HITS |"
  echo "| rsigma 0.23 engine eval (2 processes, 1 run) | ${WALL[rsigma]} | $(rate "$EVTX_EVENTS" "${WALL[rsigma]}") | $RSIGMA_PROC_RSS (per process) | $RSIGMA_HITS |"
  echo
  echo "vigil hunt / floor = $(ratio "${WALL[vigil]}" "${WALL[floor]}")×; rsigma / vigil = $(ratio "${WALL[rsigma]}" "${WALL[vigil]}")×."
  echo
  echo "NDJSON: $EVENTS generated flat Windows events ($CORPUS_MB MiB, \`bench/gen_corpus.py\`), same rules, $NDJSON_RUNS run(s)."
  echo
  echo "| run | wall s | events/s | peak RSS MiB | detections |"
  echo "|---|---:|---:|---:|---:|"
  echo "| **vigil hunt** (2 threads) | ${WALL[vigil_ndjson]} | $(rate "$EVENTS" "${WALL[vigil_ndjson]}") | ${RSS[vigil_ndjson]} | $VIGIL_NDJSON_HITS |"
  echo "| vigil hunt -j 1 | ${WALL[vigil_ndjson_1core]} | $(rate "$EVENTS" "${WALL[vigil_ndjson_1core]}") | ${RSS[vigil_ndjson_1core]} | |"
  echo "| rsigma 0.23 engine eval (1 process) | ${WALL[rsigma_ndjson]} | $(rate "$EVENTS" "${WALL[rsigma_ndjson]}") | ${RSS[rsigma_ndjson]} | $RSIGMA_NDJSON_HITS |"
} | tee "$OUT/hunt-report.md"

#!/usr/bin/env bash
# bench/ab.sh — same-run A/B of two vigil binaries: `vigil hunt` and `vigil serve` ingest.
#
#   BASE=9e9fcbc bench/ab.sh                 # A = that commit (built in a worktree), B = this tree
#   A=/path/to/old/vigil bench/ab.sh         # A = a binary you built
#   RUNS=5 EVENTS=200000 INGEST=0 bench/ab.sh
#
# Hunt workloads, each with every SigmaHQ rule, A and B alternated RUNS times (so that drift on
# a shared VM hits both alike; the median is reported):
#   1. ../shared/evtx (Windows EVTX);
#   2. EVENTS flat Windows events as NDJSON (bench/gen_corpus.py);
#   3. EVENTS RFC 5424 Linux syslog lines, no --logsource (events of unknown logsource).
# Then (INGEST=1, the default) bench/ingest.sh once with A and once with B, INGEST_EVENTS each.
# Writes bench/out/ab-report.md. Needs ../shared (skips with a message).
set -euo pipefail
cd "$(git rev-parse --show-toplevel)"
SHARED=${SHARED:-../shared}
RUNS=${RUNS:-3}
EVENTS=${EVENTS:-200000}
INGEST=${INGEST:-1}
INGEST_EVENTS=${INGEST_EVENTS:-300000}
OUT=bench/out
mkdir -p "$OUT"
if [ ! -d "$SHARED/evtx" ] || [ ! -d "$SHARED/sigma/rules" ]; then
  echo "bench/ab.sh: $SHARED/evtx or $SHARED/sigma/rules is absent; nothing to measure" >&2
  exit 0
fi
command -v /usr/bin/time >/dev/null || { apt-get update -qq && apt-get install -y -qq time; }
RULES="$SHARED/sigma/rules"

echo "building release binaries ..." >&2
[ -n "${B:-}" ] || cargo build --release --locked -p vigil -q
B=${B:-target/release/vigil}
B_LABEL=$(git describe --always --dirty)
if [ -z "${A:-}" ]; then
  BASE=${BASE:?set BASE=<commit> or A=<vigil binary>}
  WT=target/ab/$BASE
  [ -d "$WT" ] || git worktree add --detach "$WT" "$BASE" -q
  (cd "$WT" && CARGO_TARGET_DIR="$PWD/target" cargo build --release --locked -p vigil -q)
  A=$WT/target/release/vigil
  A_LABEL=$(git rev-parse --short "$BASE")
else
  A_LABEL=$A
fi

NDJSON="$OUT/corpus-$EVENTS.ndjson"
SYSLOG="$OUT/corpus-$EVENTS.log"
stale() { [ ! -s "$1" ] || [ bench/gen_corpus.py -nt "$1" ]; }
if stale "$NDJSON"; then python3 bench/gen_corpus.py --events "$EVENTS" --out "$NDJSON"; fi
if stale "$SYSLOG"; then python3 bench/gen_corpus.py --format syslog --events "$EVENTS" --out "$SYSLOG"; fi
EVTX_EVENTS=$("$B" hunt -o jsonl -r "$RULES" --min-level critical "$SHARED/evtx" 2>&1 >/dev/null |
  sed -n 's/^hunted \([0-9]*\) events.*/\1/p')

# run SIDE NAME ARGS...: one timed hunt; appends the wall seconds to WALLS[SIDE.NAME].
declare -A WALLS HITS RSS
run() {
  local side=$1 name=$2; shift 2
  local bin=$A; [ "$side" = B ] && bin=$B
  /usr/bin/time -f '%e %M' -o "$OUT/ab-time.txt" "$bin" hunt --quiet -o jsonl -r "$RULES" "$@" \
    > "$OUT/ab-$side-$name.out" 2> "$OUT/ab-$side-$name.err" || {
    echo "$side $name failed:" >&2; tail -5 "$OUT/ab-$side-$name.err" >&2; exit 1; }
  local w m
  read -r w m < "$OUT/ab-time.txt"
  WALLS[$side.$name]="${WALLS[$side.$name]:-} $w"
  RSS[$side.$name]=$(( m / 1024 ))
  HITS[$side.$name]=$(wc -l < "$OUT/ab-$side-$name.out")
  echo "$side $name: $w s, ${HITS[$side.$name]} detections" >&2
}
median() { tr ' ' '\n' <<<"$1" | grep . | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

for _ in $(seq "$RUNS"); do
  for side in A B; do
    run "$side" evtx "$SHARED/evtx"
    run "$side" ndjson "$NDJSON"
    run "$side" syslog "$SYSLOG"
  done
done

rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
{
  echo "### A/B of $(date -u +%Y-%m-%dT%H:%MZ) — $(nproc) cores, $(uname -m): A = $A_LABEL, B = $B_LABEL"
  echo
  echo "\`vigil hunt\` with all $(find "$RULES" -name '*.yml' | wc -l) SigmaHQ rule files, A and B alternated, median of $RUNS runs each (\`RUNS=$RUNS EVENTS=$EVENTS bench/ab.sh\`)."
  echo
  echo "| workload | events | A wall s | B wall s | B/A | A events/s | B events/s | A / B detections | A / B peak RSS MiB |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
  for name in evtx ndjson syslog; do
    case $name in
      evtx) n=$EVTX_EVENTS; what="../shared/evtx (EVTX)" ;;
      ndjson) n=$EVENTS; what="flat Windows NDJSON" ;;
      syslog) n=$EVENTS; what="Linux syslog (no --logsource)" ;;
    esac
    a=$(median "${WALLS[A.$name]}"); b=$(median "${WALLS[B.$name]}")
    echo "| $what | $n | $a | $b | $(ratio "$b" "$a") | $(rate "$n" "$a") | $(rate "$n" "$b") | ${HITS[A.$name]} / ${HITS[B.$name]} | ${RSS[A.$name]} / ${RSS[B.$name]} |"
  done
} | tee "$OUT/ab-report.md"

if [ "$INGEST" = 1 ]; then
  for side in A B; do
    bin=$A; [ "$side" = B ] && bin=$B
    echo "ingest with $side ($bin) ..." >&2
    VIGIL_BIN=$bin EVENTS=$INGEST_EVENTS bash bench/ingest.sh >&2
    { echo; echo "#### Ingest, $side ($bin)"; echo; sed -n '/^[|S]/p' "$OUT/ingest-report.md"; } >> "$OUT/ab-report.md"
  done
  cat "$OUT/ab-report.md"
fi

# bench/serve-lib.sh — shared by bench/ingest.sh and bench/search.sh (source it; not a command).
#
#   bench_build                     release vigil + the loadgen example; sets VIGIL and LOADGEN
#                                   (VIGIL_BIN=path serves another vigil binary instead: A/B runs;
#                                   LOADGEN_BIN=path uses a built loadgen, e.g. while the tree is
#                                   mid-edit and does not build)
#   bench_label                     what the report calls the binary: the commit (+ "-dirty" for
#                                   uncommitted changes), or VIGIL_BIN's path when set
#   bench_stale FILE                true when FILE is missing or older than bench/gen_corpus.py
#   bench_serve DATA PORT [KEEP]    admin token (exported as VIGIL_TOKEN), `vigil serve --config
#                                   DATA/vigil.toml` in the background, waits for /readyz; sets
#                                   SERVER (pid), URL and READY (seconds to ready). DATA is removed
#                                   on exit unless KEEP=1.

bench_build() {
  command -v rg >/dev/null || { apt-get update -qq && apt-get install -y -qq ripgrep; }
  command -v /usr/bin/time >/dev/null || { apt-get update -qq && apt-get install -y -qq time; }
  echo "building release binaries ..." >&2
  [ -n "${VIGIL_BIN:-}" ] || cargo build --release --locked -p vigil -q
  [ -n "${LOADGEN_BIN:-}" ] || cargo build --release --locked -p vigil --example loadgen -q
  VIGIL=${VIGIL_BIN:-target/release/vigil}
  LOADGEN=${LOADGEN_BIN:-target/release/examples/loadgen}
}

bench_label() {
  if [ -n "${VIGIL_BIN:-}" ]; then echo "$VIGIL_BIN"; else git describe --always --dirty; fi
}

bench_stale() {
  [ ! -s "$1" ] || [ bench/gen_corpus.py -nt "$1" ]
}

bench_serve() {
  local data=$1 port=$2
  BENCH_DATA=$data BENCH_KEEP=${3:-0}
  TOKEN=$("$VIGIL" token create --data-dir "$data/data" --scope admin --name bench 2>/dev/null | tail -1)
  [ -n "$TOKEN" ] || { echo "could not create a token" >&2; exit 1; }
  export VIGIL_TOKEN=$TOKEN
  local start
  start=$(date +%s.%N)
  "$VIGIL" serve --config "$data/vigil.toml" > "$data/serve.log" 2>&1 &
  SERVER=$!
  trap bench_cleanup EXIT
  URL="http://127.0.0.1:$port"
  until curl -sf "$URL/readyz" >/dev/null; do
    kill -0 "$SERVER" 2>/dev/null || { cat "$data/serve.log" >&2; exit 1; }
    sleep 0.2
  done
  READY=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')
}

bench_cleanup() {
  kill "$SERVER" 2>/dev/null || true
  wait "$SERVER" 2>/dev/null || true
  [ "$BENCH_KEEP" = 1 ] || rm -rf "$BENCH_DATA"
}

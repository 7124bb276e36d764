#!/usr/bin/env bash
# Server and end-to-end benchmarks; the figures go in the issue notes. One run measures, side
# by side, on the release build:
#   1. `keyhaven secret list` of 1,000 / 10,000 / 100,000 secrets end to end (fetch, roster
#      check, every signature checked, every name decrypted), hyperfine, SQLite, both cores
#   2. one authenticated item read, wrk at 64 connections, on SQLite and on PostgreSQL, with
#      the server alone on core 0 and wrk on core 1 (taskset): requests/s and p99
#   3. the same while 8 sign-ins are in flight (bench_support signins, also on core 1)
#   4. the server's peak RSS (VmHWM) after that load
#   5. login time versus the Argon2id time alone
# Needs wrk, hyperfine and taskset (Debian packages wrk, hyperfine, util-linux) and, for the
# PostgreSQL half, the local PostgreSQL at 127.0.0.1:5432 (user postgres, trust auth).
# Settings: COUNTS="1000 10000 100000" DURATION=20s SKIP_PG=1.
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in wrk hyperfine taskset; do
  command -v $tool > /dev/null || { echo "bench-server.sh needs $tool (apt-get install $tool)" >&2; exit 1; }
done
cargo build --release -q -p keyhaven-cli --bins
cargo build --release -q -p keyhaven-client --examples
KH=$PWD/target/release/keyhaven
SUPPORT=$PWD/target/release/examples/bench_support
WORK=$(mktemp -d /tmp/keyhaven-bench.XXXXXX)
export KEYHAVEN_PASSWORD="bench password" KEYHAVEN_SKIP_PROMPTS=1
DURATION=${DURATION:-20s}
COUNTS=${COUNTS:-1000 10000 100000}
EMAIL=bench@example.com
SERVER=
trap '[ -n "$SERVER" ] && kill $SERVER 2>/dev/null || true' EXIT

# start_server NAME [server arguments...]: a fresh server on core 0; sets URL, SERVER, DATA and
# KEYHAVEN_HOME, signs up and in, creates the workspace Bench; sets WS and TOKEN.
start_server() {
  local name=$1; shift
  DATA=$WORK/$name-data
  export KEYHAVEN_HOME=$WORK/$name-home
  KEYHAVEN_LOG=warn taskset -c 0 "$KH" server --listen 127.0.0.1:0 --data-dir "$DATA" "$@" \
    > "$WORK/$name-server.log" 2>&1 &
  SERVER=$!
  URL=
  for _ in $(seq 100); do
    URL=$(sed -n 's/^keyhaven server listening on //p' "$WORK/$name-server.log")
    [ -n "$URL" ] && break
    sleep 0.1
  done
  [ -n "$URL" ] || { cat "$WORK/$name-server.log" >&2; exit 1; }
  "$KH" signup --server "$URL" --email $EMAIL > /dev/null
  local code=
  for _ in $(seq 50); do
    code=$(grep -h -o 'verification code is [0-9]\{8\}' "$DATA"/outbox/*.eml 2>/dev/null | grep -o '[0-9]\{8\}' || true)
    [ -n "$code" ] && break
    sleep 0.1
  done
  "$KH" signup --server "$URL" --email $EMAIL --code "$code" > /dev/null
  "$KH" login --server "$URL" --email $EMAIL > /dev/null
  "$KH" workspace create Bench > /dev/null
  WS=$("$KH" workspace list --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
  TOKEN=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["session_token"])' "$KEYHAVEN_HOME/session.json")
}

stop_server() {
  kill "$SERVER" 2>/dev/null || true
  wait "$SERVER" 2>/dev/null || true
  SERVER=
}

# reads NAME: item reads at 64 connections, alone and with 8 sign-ins in flight, then RSS.
reads() {
  local name=$1 item seconds=${DURATION%s}
  item=$(curl -s -H "Authorization: Bearer $TOKEN" "$URL/v1/workspaces/$WS/items?limit=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
  local path="/v1/workspaces/$WS/items/$item"
  echo "== [$name] item read, wrk -t1 -c64 -d$DURATION, server on core 0, wrk on core 1"
  taskset -c 1 wrk -t1 -c64 -d"$DURATION" --latency -H "Authorization: Bearer $TOKEN" "$URL$path" \
    | grep -E 'Requests/sec|99%|Non-2xx'
  echo "== [$name] the same with 8 sign-ins in flight (on core 1 too)"
  taskset -c 1 "$SUPPORT" signins "$URL" $EMAIL "$seconds" > "$WORK/$name-signins.txt" &
  local signins=$!
  sleep 1
  taskset -c 1 wrk -t1 -c64 -d"$DURATION" --latency -H "Authorization: Bearer $TOKEN" "$URL$path" \
    | grep -E 'Requests/sec|99%|Non-2xx'
  wait $signins
  echo "sign-ins completed meanwhile: $(cat "$WORK/$name-signins.txt")"
  # /healthz touches no database: what it loses to the sign-ins is the load generator's core
  # (shared with the sign-ins' Argon2id), not the server's reads.
  echo "== [$name] /healthz alone, then with 8 sign-ins in flight (the same cores)"
  taskset -c 1 wrk -t1 -c64 -d"$DURATION" --latency "$URL/healthz" | grep -E 'Requests/sec|99%'
  taskset -c 1 "$SUPPORT" signins "$URL" $EMAIL "$seconds" > /dev/null &
  signins=$!
  sleep 1
  taskset -c 1 wrk -t1 -c64 -d"$DURATION" --latency "$URL/healthz" | grep -E 'Requests/sec|99%'
  wait $signins
  echo "[$name] server memory: $(grep -E 'VmHWM|VmRSS' /proc/$SERVER/status | tr -s ' ' | tr '\n' ' ')"
}

# ---- SQLite: the lists at growing sizes, then the reads
start_server sqlite
seeded=0
for count in $COUNTS; do
  echo "== seeding $((count - seeded)) more secrets through the client (to $count)"
  "$SUPPORT" seed "$URL" $EMAIL "$WS" $((count - seeded)) > /dev/null
  seeded=$count
  echo "== secret list of $count secrets end to end"
  hyperfine --style basic --warmup 1 --runs 10 "$KH secret list --workspace Bench > /dev/null" \
    | grep -E 'Time|Range'
done
reads sqlite
echo "== login versus Argon2id alone (default parameters m=64 MiB, t=3, p=4)"
for _ in 1 2 3; do echo "argon2id alone: $("$SUPPORT" kdf) ms"; done
hyperfine --style basic --warmup 1 --runs 5 "$KH login --server $URL --email $EMAIL > /dev/null" \
  | grep -E 'Time|Range'
stop_server

# ---- PostgreSQL: the reads
if [ -z "${SKIP_PG:-}" ]; then
  DB=keyhaven_bench_$$
  psql -q -h 127.0.0.1 -U postgres -c "CREATE DATABASE $DB" > /dev/null
  trap '[ -n "$SERVER" ] && kill $SERVER 2>/dev/null; psql -q -h 127.0.0.1 -U postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" > /dev/null 2>&1 || true' EXIT
  start_server postgres --database "postgres://postgres@127.0.0.1:5432/$DB"
  "$SUPPORT" seed "$URL" $EMAIL "$WS" 1000 > /dev/null
  reads postgres
  stop_server
fi

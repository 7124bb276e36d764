#!/usr/bin/env bash
# Server and end-to-end benchmarks of the lifecycle issue (figures go in the issue notes):
#   1. authenticated single-secret read, wrk at 64 connections, SQLite: requests/s, p99, RSS
#   2. listing 10,000 secrets end to end (fetch + client decryption), hyperfine
#   3. login time versus the Argon2id time alone
# Needs wrk and hyperfine (Debian packages). Uses a fresh data directory under /tmp.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p keyhaven-cli --bins
cargo build --release -q -p keyhaven-client --examples
KH=$PWD/target/release/keyhaven
SUPPORT=$PWD/target/release/examples/bench_support
WORK=$(mktemp -d /tmp/keyhaven-bench.XXXXXX)
export KEYHAVEN_HOME=$WORK/home KEYHAVEN_PASSWORD="bench password" KEYHAVEN_SKIP_PROMPTS=1
DURATION=${DURATION:-20s}
COUNT=${COUNT:-10000}

KEYHAVEN_LOG=warn "$KH" server --listen 127.0.0.1:0 --data-dir "$WORK/data" > "$WORK/server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 100); do URL=$(sed -n 's/^keyhaven server listening on //p' "$WORK/server.log"); [ -n "$URL" ] && break; sleep 0.1; done
EMAIL=bench@example.com
"$KH" signup --server "$URL" --email $EMAIL > /dev/null
CODE=$(grep -h -o 'verification code is [0-9]\{8\}' "$WORK"/data/outbox/*.eml | grep -o '[0-9]\{8\}')
"$KH" signup --server "$URL" --email $EMAIL --code "$CODE" > /dev/null
"$KH" login --server "$URL" --email $EMAIL > /dev/null
"$KH" workspace create Bench > /dev/null
WS=$("$KH" workspace list --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
TOKEN=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["session_token"])' "$KEYHAVEN_HOME/session.json")

echo "== seeding $COUNT secrets through the client"
time "$SUPPORT" seed "$URL" $EMAIL "$WS" "$COUNT"
ITEM=$(curl -s -H "Authorization: Bearer $TOKEN" "$URL/v1/workspaces/$WS/items" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')

echo "== 1. single-secret read: wrk -t2 -c64 -d$DURATION"
wrk -t2 -c64 -d"$DURATION" --latency -H "Authorization: Bearer $TOKEN" "$URL/v1/workspaces/$WS/items/$ITEM"
echo "server RSS: $(grep -E 'VmHWM|VmRSS' /proc/$SERVER/status | tr -s ' ' | tr '\n' ' ')"

echo "== 2. listing $COUNT secrets end to end (fetch + decrypt + verify)"
hyperfine --warmup 1 --runs 5 "$KH secret list --workspace Bench > /dev/null"

echo "== 3. login versus Argon2id alone (default parameters m=64 MiB, t=3, p=4)"
for _ in 1 2 3; do echo "argon2id alone: $("$SUPPORT" kdf) ms"; done
hyperfine --warmup 1 --runs 5 "$KH login --server $URL --email $EMAIL > /dev/null"

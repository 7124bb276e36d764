#!/usr/bin/env bash
# Escrow benchmarks of the device-key issue (figures go in the issue notes), SQLite, release:
#   1. import 100,000 BitLocker keys through the CLI (a CSV), end to end: keys/s and peak RSS
#   2. find by an 8-character prefix among 1,000,000 escrowed keys, at the server: wrk replays
#      the client's blind-index lookups for random real identifiers; p50/p90/p99
#      (plus the whole `keyhaven device find` command, hyperfine)
#   3. `keyhaven device list` of a workspace with 1,000 devices, end to end (hyperfine)
# Needs wrk and hyperfine (Debian packages). TOTAL=1000000 by default; IMPORT=100000 per file.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p keyhaven-cli --bins
cargo build --release -q -p keyhaven-client --examples
KH=$PWD/target/release/keyhaven
SUPPORT=$PWD/target/release/examples/bench_support
WORK=$(mktemp -d /tmp/keyhaven-escrow-bench.XXXXXX)
export KEYHAVEN_HOME=$WORK/home KEYHAVEN_PASSWORD="bench password" KEYHAVEN_SKIP_PROMPTS=1
TOTAL=${TOTAL:-1000000}
IMPORT=${IMPORT:-100000}
DURATION=${DURATION:-20s}

KEYHAVEN_LOG=warn "$KH" server --listen 127.0.0.1:0 --data-dir "$WORK/data" > "$WORK/server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 100); do URL=$(sed -n 's/^keyhaven server listening on //p' "$WORK/server.log"); [ -n "$URL" ] && break; sleep 0.1; done
EMAIL=bench@example.com
"$KH" signup --server "$URL" --email $EMAIL > /dev/null
CODE=$(grep -h -o 'verification code is [0-9]\{8\}' "$WORK"/data/outbox/*.eml | grep -o '[0-9]\{8\}')
"$KH" signup --server "$URL" --email $EMAIL --code "$CODE" > /dev/null
"$KH" login --server "$URL" --email $EMAIL > /dev/null
"$KH" workspace create Fleet > /dev/null
"$KH" workspace create Small > /dev/null
WS=$("$KH" workspace list --json | python3 -c 'import json,sys; print([w for w in json.load(sys.stdin) if w["name"]=="Fleet"][0]["id"])')
TOKEN=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["session_token"])' "$KEYHAVEN_HOME/session.json")

echo "== 1. import $IMPORT BitLocker keys through the CLI (CSV), end to end"
python3 scripts/gen-bitlocker-csv.py "$IMPORT" "$WORK/fleet-1.csv" 1
/usr/bin/time -f "wall %e s, peak RSS %M KiB" "$KH" device import "$WORK/fleet-1.csv" --workspace Fleet
echo "== re-import of the same file (idempotent: nothing stored)"
/usr/bin/time -f "wall %e s, peak RSS %M KiB" "$KH" device import "$WORK/fleet-1.csv" --workspace Fleet

echo "== filling up to $TOTAL keys"
n=1
while [ $((n * IMPORT)) -lt "$TOTAL" ]; do
  n=$((n + 1))
  python3 scripts/gen-bitlocker-csv.py "$IMPORT" "$WORK/fleet-$n.csv" "$n"
  /usr/bin/time -f "  wall %e s" "$KH" device import "$WORK/fleet-$n.csv" --workspace Fleet
done
echo "database: $(du -h "$WORK/data/keyhaven.db" | cut -f1)"

echo "== 2. find by 8-character prefix among $((n * IMPORT)) keys: wrk -t2 -c16 -d$DURATION"
PREFIXES=$(python3 -c 'import csv,random,sys,glob
rows=[r for f in glob.glob(sys.argv[1]+"/fleet-*.csv") for r in csv.DictReader(open(f))]
random.seed(7); print(" ".join(r["Key ID"][:8] for r in random.sample(rows, 200)))' "$WORK")
# shellcheck disable=SC2086
"$SUPPORT" find-paths "$URL" $EMAIL "$WS" $PREFIXES > "$WORK/paths.txt"
cat > "$WORK/paths.lua" <<LUA
local paths = {}
for line in io.lines("$WORK/paths.txt") do paths[#paths + 1] = line end
local i = 0
request = function()
  i = i % #paths + 1
  return wrk.format("GET", paths[i], { ["Authorization"] = "Bearer $TOKEN" })
end
LUA
wrk -t2 -c16 -d"$DURATION" --latency -s "$WORK/paths.lua" "$URL"
echo "server RSS: $(grep -E 'VmHWM|VmRSS' /proc/$SERVER/status | tr -s ' ' | tr '\n' ' ')"
ONE=$(echo "$PREFIXES" | cut -d' ' -f1)
hyperfine --warmup 1 --runs 10 "$KH device find $ONE --workspace Fleet > /dev/null"

echo "== 3. device list of 1,000 devices, end to end"
python3 scripts/gen-bitlocker-csv.py 1000 "$WORK/small.csv" 99
"$KH" device import "$WORK/small.csv" --workspace Small > /dev/null
hyperfine --warmup 1 --runs 10 "$KH device list --workspace Small > /dev/null"

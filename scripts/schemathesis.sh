#!/usr/bin/env bash
# Property-based API tests: schemathesis (pinned, from PyPI) against the real server binary on
# a fresh SQLite data directory, signed in as an owner of one workspace. Fails on any 5xx,
# any status the document does not list, and any response that does not match its schema.
#   EXAMPLES=N  examples per operation (default 40)
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION=4.32.5
VENV=target/schemathesis-$VERSION
if [ ! -x "$VENV/bin/schemathesis" ]; then
  if ! python3 -m venv "$VENV" 2>/dev/null; then
    rm -rf "$VENV"
    apt-get install -y -q python3-venv > /dev/null
    python3 -m venv "$VENV"
  fi
  "$VENV/bin/pip" install -q "schemathesis==$VERSION"
fi

cargo build -q -p keyhaven-cli --bin keyhaven
KH=$PWD/target/debug/keyhaven
WORK=$(mktemp -d /tmp/keyhaven-schemathesis.XXXXXX)
chmod 700 "$WORK"
export KEYHAVEN_HOME=$WORK/home KEYHAVEN_PASSWORD="schemathesis password" KEYHAVEN_SKIP_PROMPTS=1
KEYHAVEN_LOG=warn "$KH" server --listen 127.0.0.1:0 --data-dir "$WORK/data" > "$WORK/server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
URL=
for _ in $(seq 100); do
  URL=$(sed -n 's/^keyhaven server listening on //p' "$WORK/server.log")
  [ -n "$URL" ] && break
  sleep 0.1
done
[ -n "$URL" ] || { cat "$WORK/server.log"; exit 1; }

EMAIL=owner@example.com
"$KH" signup --server "$URL" --email $EMAIL > /dev/null
CODE=
for _ in $(seq 100); do
  CODE=$(grep -h -o 'verification code is [0-9]\{8\}' "$WORK"/data/outbox/*.eml 2>/dev/null | grep -o '[0-9]\{8\}' || true)
  [ -n "$CODE" ] && break
  sleep 0.1
done
"$KH" signup --server "$URL" --email $EMAIL --code "$CODE" > /dev/null
"$KH" login --server "$URL" --email $EMAIL > /dev/null
"$KH" workspace create Acme > /dev/null
TOKEN=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["session_token"])' "$KEYHAVEN_HOME/session.json")

status=0
"$VENV/bin/schemathesis" run "$URL/v1/openapi.json" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance \
  --phases examples,coverage,fuzzing \
  --max-examples "${EXAMPLES:-40}" \
  --workers 2 \
  --header "Authorization: Bearer $TOKEN" \
  --suppress-health-check all \
  --warnings off \
  --no-color || status=$?
if grep -q "panicked" "$WORK/server.log"; then
  echo "the server panicked:"; grep -A3 panicked "$WORK/server.log"; status=1
fi
exit $status

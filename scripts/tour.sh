#!/usr/bin/env bash
# Keyhaven's main job and its tour: builds the web vault and the server (one binary), starts
# the server on the embedded SQLite default (./keyhaven-data, mail to ./keyhaven-data/outbox),
# walks through the CLI, then keeps the server running until Ctrl-C, with the web vault at the
# printed URL.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build-web.sh
cargo build --release -q -p keyhaven-cli
KH=./target/release/keyhaven
export KEYHAVEN_HOME="${KEYHAVEN_HOME:-$PWD/keyhaven-data/tour-home}"
kh() { echo; echo "\$ keyhaven $*"; "$KH" "$@" || echo "(exit code $?)"; }

# The data directory holds the server's secrets: owner only (the server refuses it otherwise).
mkdir -p ./keyhaven-data && chmod 700 ./keyhaven-data
# 127.0.0.1:8200 when free (the browser keeps its pins per address), else any free port.
LISTEN=127.0.0.1:8200
python3 -c 'import socket; socket.create_server(("127.0.0.1", 8200)).close()' 2>/dev/null \
  || LISTEN=127.0.0.1:0
"$KH" server --listen "$LISTEN" --data-dir ./keyhaven-data > keyhaven-data.server.log 2>&1 &
SERVER_PID=$!
trap 'kill $SERVER_PID 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  URL=$(sed -n 's/^keyhaven server listening on //p' keyhaven-data.server.log)
  [ -n "$URL" ] && break
  sleep 0.1
done
[ -n "$URL" ] || { cat keyhaven-data.server.log; exit 1; }
echo "== The server runs at $URL (SQLite: ./keyhaven-data/keyhaven.db; mail: ./keyhaven-data/outbox)"

EMAIL="tour-$(date +%s)@example.com"
export KEYHAVEN_PASSWORD="correct horse battery staple"
echo
echo "== Sign up: the server emails a code (here: an .eml file in the outbox)"
kh signup --server "$URL" --email "$EMAIL"
CODE=$(grep -h -o 'verification code is [0-9]\{8\}' ./keyhaven-data/outbox/*.eml | tail -1 | grep -o '[0-9]\{8\}')
kh signup --server "$URL" --email "$EMAIL" --code "$CODE"
echo
echo "== Sign in (OPAQUE: the password never reaches the server), then who am I"
kh login --server "$URL" --email "$EMAIL"
kh whoami
echo
echo "== A workspace: its temporary recovery key arrives in the welcome email (outbox)"
kh workspace create "Tour $(date +%H%M%S)"
WS_NAME=$("$KH" workspace list --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[-1]["name"])')
echo "hunter2" | "$KH" secret add payroll --username ops --workspace "$WS_NAME"
kh secret list --workspace "$WS_NAME"
kh secret get payroll --workspace "$WS_NAME"
kh recovery-key status --workspace "$WS_NAME"
echo
echo "== Replace the temporary key with a permanent one (shown once; saved to a kit file)"
KIT="./keyhaven-data/tour-kit-$(date +%s).txt"
# Replacing a recovery key takes the current one: here the temporary key of the welcome email.
WELCOME=$(grep -l "temporary recovery key of $WS_NAME" ./keyhaven-data/outbox/*.eml | tail -n 1)
TEMPORARY=$(grep -m 1 -oE '[0-9]{6}(-[0-9]{6}){7}' "$WELCOME")
KEYHAVEN_RECOVERY_KEY="$TEMPORARY" kh recovery-key generate --workspace "$WS_NAME" --yes --out "$KIT"
kh recovery-key status --workspace "$WS_NAME"
echo
echo "== A wrong password and an unknown account get the same answer"
KEYHAVEN_PASSWORD=wrong kh login --server "$URL" --email "$EMAIL"
kh login --server "$URL" --email "nobody-$(date +%s)@example.com"

echo
echo "== Recovery keys, offline: a 48-digit key (BitLocker's format, and Keyhaven's own)"
kh key check "050875 056529 062183 067837 073491 079145 084799 090453"
echo
echo "== The same key with a typo in group 3: the group is named"
kh key check 050875-056529-062184-067837-073491-079145-084799-090453
echo
echo "== A BitLocker recovery key file exactly as Windows saves it (UTF-16LE, BOM, CRLF)"
kh key check --file "crates/core/tests/data/bitlocker-txt/windows-utf16le-bom-crlf.TXT"
echo
echo "== FileVault and LUKS keys, and JSON for scripts"
kh key check abcd-efgh-ijkl-mnop-qrst-uvwx
kh key check --json cbdefghi-jklnrtuv-cbdefghi-jklnrtuv-cbdefghi-jklnrtuv-cbdefghi-jklnrtuv

echo
echo "== Device recovery keys: import a BitLocker file (sealed here to the workspace escrow key)"
kh device import "crates/core/tests/data/bitlocker-txt/windows-utf16le-bom-crlf.TXT" \
  --device FIN-LAPTOP-07 --volume C: --volume-type os --workspace "$WS_NAME"
PREFIX=$("$KH" device list --json --workspace "$WS_NAME" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["key_id"][:8].lower())')
echo
echo "== Find it by what the locked machine shows: the first 8 characters of the key ID, any case"
kh device find "$PREFIX" --workspace "$WS_NAME"
echo
echo "== Reveal it with a reason: the audit event is written first, the key marked for rotation"
kh device reveal "$PREFIX" --reason "ticket 4711: user locked out" --workspace "$WS_NAME"
kh device list --needs-rotation --workspace "$WS_NAME"
echo
echo "== Export it to a folder (a USB drive, say) exactly as Windows saves it"
USB="./keyhaven-data/tour-usb-$(date +%s)"
mkdir -p "$USB"
kh device export "$PREFIX" --format bitlocker-txt --out "$USB" --workspace "$WS_NAME"
ls "$USB"
kh audit list --workspace "$WS_NAME"
kh logout

if [ -n "${KEYHAVEN_TOUR_EXIT:-}" ]; then exit 0; fi
echo
echo "== The server keeps running at $URL (log: keyhaven-data.server.log). Ctrl-C stops it."
echo "== Open the web vault in a browser: $URL/"
echo "   (sign-up and reset codes arrive as .eml files in ./keyhaven-data/outbox)"
wait $SERVER_PID

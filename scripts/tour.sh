#!/usr/bin/env bash
# The five-minute tour: builds `keyhaven` and walks through what it does today.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p keyhaven-cli
kh() { echo; echo "\$ keyhaven $*"; ./target/release/keyhaven "$@" || echo "(exit code $?)"; }

echo "== A 48-digit recovery key (BitLocker, and Keyhaven's own format), typed with spaces"
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

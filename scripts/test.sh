#!/usr/bin/env bash
# Every test of Keyhaven: unit, vector, property and end-to-end tests of every crate (the real
# `keyhaven` binary against SQLite and PostgreSQL), then the browser tests of the web vault
# (Playwright driving Debian's Chromium against the real server binary). Installs what it
# needs: the wasm32 target, wasm-bindgen-cli (Cargo.lock's version), npm packages from
# web/package-lock.json, and Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."

# The web vault first: the server embeds web/dist when it is built.
bash scripts/build-web.sh

cargo test --workspace

echo "== browser tests (web/tests): the server built with the test clock, Chromium headless"
if ! command -v chromium >/dev/null; then
  apt-get update -q && apt-get install -y -q chromium
fi
cargo build --quiet -p keyhaven-cli --features test-clock
cd web
KEYHAVEN_BIN="$PWD/../target/debug/keyhaven" npx playwright test

#!/usr/bin/env bash
# Builds the web vault into web/dist, which the server embeds when it is built next:
#   1. the client (crates/web) for wasm32-unknown-unknown (profile `wasm`: small);
#   2. its JavaScript glue with wasm-bindgen-cli at exactly the wasm-bindgen version of
#      Cargo.lock (installed from crates.io when missing or different);
#   3. the front end with `npm ci` (web/package-lock.json) and Vite.
# Each step is skipped when its inputs did not change only by the tools' own caching.
set -euo pipefail
cd "$(dirname "$0")/.."

rustup target list --installed | grep -qx wasm32-unknown-unknown \
  || rustup target add wasm32-unknown-unknown

version=$(awk '$0 == "name = \"wasm-bindgen\"" { getline; gsub(/"/, "", $3); print $3 }' Cargo.lock)
[ -n "$version" ] || { echo "no wasm-bindgen in Cargo.lock" >&2; exit 1; }
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$version" ]; then
  echo "== installing wasm-bindgen-cli $version (matches Cargo.lock; a few minutes, once)"
  cargo install --quiet wasm-bindgen-cli --version "=$version"
fi

echo "== building the client for the browser (crates/web → wasm32)"
cargo build --quiet --profile wasm --target wasm32-unknown-unknown -p keyhaven-web
wasm-bindgen --target web --out-dir web/src/wasm \
  target/wasm32-unknown-unknown/wasm/keyhaven_web.wasm

echo "== building the front end (web/ → web/dist)"
command -v npm >/dev/null || { apt-get update -q && apt-get install -y -q nodejs npm; }
cd web
# npm ci wipes and reinstalls node_modules: only when the lock file changed since.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
npm run --silent build

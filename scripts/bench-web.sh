#!/usr/bin/env bash
# The web vault's figures in Chromium on this machine (web/bench/vault.bench.ts): first-load
# bytes (html, js, css, wasm as sent), sign-in time (Argon2id m=64 MiB t=3 p=4 in the worker),
# and the time to show a workspace of 1,000 secrets. Release server; RUNS=5 by default.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build-web.sh
cargo build --quiet --release -p keyhaven-cli
cargo build --quiet --release -p keyhaven-client --example bench_support
command -v chromium >/dev/null || { apt-get update -q && apt-get install -y -q chromium; }
cd web
KEYHAVEN_BIN="$PWD/../target/release/keyhaven" npx playwright test -c playwright.bench.config.ts

#!/usr/bin/env bash
# The web vault's figures in Chromium on this machine (web/bench/vault.bench.ts): first-load
# bytes (html, js, css, wasm as sent), sign-in time (Argon2id m=64 MiB t=3 p=4 in the worker),
# and the time to show a workspace of 1,000 secrets (web/bench/vault.bench.ts); and the device
# pages (web/bench/devices.bench.ts): search as you type among FLEET=100,000 escrowed keys, the
# first page of a LIST=10,000-device list, FILES=1,000 BitLocker .txt files dropped at once.
# Release server; RUNS=5 by default. One of them: ./scripts/bench-web.sh devices.bench.ts
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build-web.sh
cargo build --quiet --release -p keyhaven-cli
cargo build --quiet --release -p keyhaven-client --example bench_support
command -v chromium >/dev/null || { apt-get update -q && apt-get install -y -q chromium; }
cd web
KEYHAVEN_BIN="$PWD/../target/release/keyhaven" npx playwright test -c playwright.bench.config.ts "$@"

#!/usr/bin/env bash
# Checks deploy/keyhaven.service with `systemd-analyze verify` (run by .ci/run). verify exits 0
# even for settings it ignores, so any output at all fails the check. The unit's ExecStart
# names /usr/local/bin/keyhaven; the check points it at the binary built here.
set -euo pipefail
cd "$(dirname "$0")/.."
binary="${1:-target/debug/keyhaven}"
[ -x "$binary" ] || { echo "no $binary: build it first (cargo build -p keyhaven-cli)" >&2; exit 2; }
command -v systemd-analyze >/dev/null || { echo "systemd-analyze is missing (apt-get install systemd)" >&2; exit 2; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
sed "s#/usr/local/bin/keyhaven#$(realpath "$binary")#" deploy/keyhaven.service > "$work/keyhaven.service"
output="$(systemd-analyze verify "$work/keyhaven.service" 2>&1 || true)"
if [ -n "$output" ]; then
  printf 'systemd-analyze verify found problems in deploy/keyhaven.service:\n%s\n' "$output" >&2
  exit 1
fi
# The hardening the README promises.
for setting in 'User=keyhaven' 'NoNewPrivileges=yes' 'ProtectSystem=strict' 'StateDirectory=keyhaven' \
  'ProtectHome=yes' 'PrivateTmp=yes' 'CapabilityBoundingSet=CAP_NET_BIND_SERVICE' \
  'SystemCallFilter=@system-service' 'MemoryDenyWriteExecute=yes' 'UMask=0077'; do
  grep -qx "$setting" deploy/keyhaven.service || { echo "deploy/keyhaven.service lacks $setting" >&2; exit 1; }
done
echo "deploy/keyhaven.service: systemd-analyze verify clean, hardening present"

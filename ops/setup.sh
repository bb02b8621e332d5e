#!/usr/bin/env bash
# Makes a fresh Debian 12 host (as root) ready to build, test and run Jetpack: host packages, npm
# dependencies, the compiled JavaScript, and a running zfs-fuse (on hosts without native OpenZFS).
# Safe to run again: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(redis-server zfs-fuse appc-spec busybox-static xz-utils bzip2 gzip tar util-linux iproute2 procps openssl gnupg curl gcc libc6-dev)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  apt-get update -qq
  # Debian's package scripts would try to start the services; we start what we need ourselves.
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi
echo "setup: building"
npx tsc -p tsconfig.json
chmod +x dist/api/cli/main.js
# The pod helper (chroot, user switch, exec) is a static C program: it runs where no library is.
bash ops/build-stage2.sh

bash ops/zfs-daemon.sh

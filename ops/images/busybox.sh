#!/usr/bin/env bash
# Builds a small appc image (ACI) from the host's busybox-static: a shell and the usual tools.
# Usage: ops/images/busybox.sh OUT.aci [NAME] [VERSION]
set -euo pipefail
out=${1:?usage: busybox.sh OUT.aci [NAME] [VERSION]}
name=${2:-jetpack.example/busybox}
version=${3:-$(busybox 2>&1 | head -1 | sed -n 's/^BusyBox v\([0-9.]*\).*/\1/p')}
version=${version:-1.0.0}
bb=$(command -v busybox)
file -L "$bb" 2>/dev/null | grep -q "statically linked" || [ -x /bin/busybox ] || { echo "busybox.sh: install busybox-static" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/rootfs"/{bin,etc,tmp,proc,sys,dev,root}
chmod 1777 "$work/rootfs/tmp"
cp "$bb" "$work/rootfs/bin/busybox"
for applet in sh ls cat echo env id wget sleep true false hostname mkdir touch ps mount grep sed; do
  ln -s busybox "$work/rootfs/bin/$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' > "$work/rootfs/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' > "$work/rootfs/etc/group"
cat > "$work/manifest" <<JSON
{
  "acKind": "ImageManifest",
  "acVersion": "0.8.11",
  "name": "$name",
  "labels": [
    {"name": "version", "value": "$version"},
    {"name": "os", "value": "linux"},
    {"name": "arch", "value": "amd64"}
  ],
  "app": {
    "exec": ["/bin/sh", "-c", "echo hello from \$AC_APP_NAME"],
    "user": "0",
    "group": "0",
    "environment": [{"name": "PATH", "value": "/bin"}]
  },
  "annotations": [
    {"name": "created", "value": "$(date -u +%Y-%m-%dT%H:%M:%SZ)"}
  ]
}
JSON
tar --numeric-owner --owner=0 --group=0 -C "$work" -czf "$out" manifest rootfs
echo "$out"

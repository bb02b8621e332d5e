import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { renderSandboxScript } from "../../../../../workers/host/linux/sandbox-script.js";

describe("renderSandboxScript", () => {
  it("renders the whole pod view: root, each app's /proc, /sys, /dev, volumes, read-only root, hostname, loopback", () => {
    const script = renderSandboxScript({
      root: "/p/rootfs",
      hostname: "web-1",
      stage2: "/opt/jetpack/dist/stage2/jetpack-stage2",
      apps: [
        {
          rootfs: "/p/rootfs/0",
          readOnlyRootFS: true,
          mounts: [
            { source: "/p/volumes/data", target: "/var/data", readOnly: false, recursive: false },
            { source: "/srv/my files", target: "/srv", readOnly: true, recursive: true },
          ],
        },
      ],
    });
    assert.equal(
      script,
      [
        "set -eu",
        "mount --rbind /p/rootfs /p/rootfs",
        "mkdir -p -m 0755 /p/rootfs/.jetpack",
        "cp /opt/jetpack/dist/stage2/jetpack-stage2 /p/rootfs/.jetpack/stage2",
        "chown 0:0 /p/rootfs/.jetpack/stage2",
        "chmod 0755 /p/rootfs/.jetpack/stage2",
        "# app 0: /p/rootfs/0",
        "mount --rbind /p/rootfs/0 /p/rootfs/0",
        "mount -o remount,bind,nodev /p/rootfs/0",
        "mount -t proc -o nosuid,nodev,noexec proc /p/rootfs/0/proc",
        "mount -t sysfs -o ro,nosuid,nodev,noexec sysfs /p/rootfs/0/sys",
        "mount -t tmpfs -o nosuid,noexec,mode=0755,size=65536k tmpfs /p/rootfs/0/dev",
        "touch /p/rootfs/0/dev/null && mount --bind /dev/null /p/rootfs/0/dev/null",
        "touch /p/rootfs/0/dev/zero && mount --bind /dev/zero /p/rootfs/0/dev/zero",
        "touch /p/rootfs/0/dev/full && mount --bind /dev/full /p/rootfs/0/dev/full",
        "touch /p/rootfs/0/dev/random && mount --bind /dev/random /p/rootfs/0/dev/random",
        "touch /p/rootfs/0/dev/urandom && mount --bind /dev/urandom /p/rootfs/0/dev/urandom",
        "touch /p/rootfs/0/dev/tty && mount --bind /dev/tty /p/rootfs/0/dev/tty",
        "touch /p/rootfs/0/dev/console && mount --bind /dev/null /p/rootfs/0/dev/console",
        "mkdir -m 0755 /p/rootfs/0/dev/pts && mount -t devpts -o newinstance,ptmxmode=0666,mode=0620,nosuid,noexec devpts /p/rootfs/0/dev/pts",
        "mkdir -m 1777 /p/rootfs/0/dev/shm && mount -t tmpfs -o nosuid,nodev,mode=1777 shm /p/rootfs/0/dev/shm",
        "ln -s pts/ptmx /p/rootfs/0/dev/ptmx",
        "ln -s /proc/self/fd /p/rootfs/0/dev/fd",
        "ln -s /proc/self/fd/0 /p/rootfs/0/dev/stdin",
        "ln -s /proc/self/fd/1 /p/rootfs/0/dev/stdout",
        "ln -s /proc/self/fd/2 /p/rootfs/0/dev/stderr",
        "mount --bind /p/volumes/data /p/rootfs/0/var/data",
        "mount -o remount,bind,nodev /p/rootfs/0/var/data",
        "mount --rbind '/srv/my files' /p/rootfs/0/srv",
        "mount -o remount,bind,nodev,ro /p/rootfs/0/srv",
        "mount -o remount,bind,nodev,ro /p/rootfs/0",
        "hostname web-1",
        "ip link set lo up",
        "",
      ].join("\n"),
    );
  });

  it("quotes paths with spaces and quotes so that the shell reads each as one word", () => {
    const script = renderSandboxScript({ root: "/pods/it's here", hostname: "h", stage2: "/s", apps: [{ rootfs: "/pods/it's here/0", readOnlyRootFS: false, mounts: [] }] });
    assert.match(script, /^mount --rbind '\/pods\/it'\\''s here' '\/pods\/it'\\''s here'$/m);
    assert.match(script, /^mount -t proc -o nosuid,nodev,noexec proc '\/pods\/it'\\''s here\/0\/proc'$/m);
  });

  it("binds what it is told at /dev/console, and leaves rootfs and volumes writable unless asked", () => {
    const script = renderSandboxScript({ root: "/r", hostname: "h", stage2: "/s", consoleSource: "/dev/pts/3", apps: [{ rootfs: "/r/1", readOnlyRootFS: false, mounts: [{ source: "/v", target: "/v", readOnly: false, recursive: false }] }] });
    assert.match(script, /mount --bind \/dev\/pts\/3 \/r\/1\/dev\/console/);
    assert.doesNotMatch(script, /remount[^ ]*,ro\b/);
  });

  it("renders every app of the pod in the plan's order", () => {
    const script = renderSandboxScript({ root: "/r", hostname: "h", stage2: "/s", apps: [0, 1, 2].map((i) => ({ rootfs: `/r/${i}`, readOnlyRootFS: false, mounts: [] })) });
    const order = [...script.matchAll(/^# app (\d+)/gm)].map((m) => m[1]);
    assert.deepEqual(order, ["0", "1", "2"]);
  });
});

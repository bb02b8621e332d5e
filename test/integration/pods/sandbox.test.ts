// The Linux pod sandbox on the real kernel (we are root): namespaces, mounts, users, environment, and
// the pivot that keeps host mounts out of the pod. Apps are busybox rootfs directories; no ZFS needed.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { hostname as hostHostname, tmpdir } from "node:os";
import { join } from "node:path";
import { JetpackError } from "../../../machines/errors.js";
import { DEFAULT_PATH } from "../../../machines/pod/plan.js";
import type { PodRunSpec } from "../../../machines/pod/run-spec.js";
import { observeExec } from "../../../workers/host/exec.js";
import { resolveAppIds } from "../../../workers/host/linux/app-user.js";
import { appCommand, appEnvironment } from "../../../workers/host/linux/commands.js";
import { destroySandbox, prepareSandbox, startSandbox, type Sandbox } from "../../../workers/host/linux/sandbox.js";
import { repoPath } from "../../support/repo.js";
import { busyboxPodSpec } from "../../support/busybox-rootfs.js";

const STAGE2 = repoPath("dist/stage2/jetpack-stage2");

const base = mkdtempSync(join(tmpdir(), "jetpack-sandbox-"));
const podDir = join(base, "pod");
const hostData = join(base, "host data 'quoted'");
const beforeMount = join(base, "mounted-before");
const afterMount = join(base, "mounted-after");
let spec: PodRunSpec;
let sandbox: Sandbox | null = null;
let podPidNs = "";

function mounted(path: string): boolean {
  return readFileSync("/proc/self/mountinfo", "utf8").split("\n").some((l) => l.split(" ")[4] === path);
}

function inApp(index: number, argv: string[], opts: { workingDirectory?: string } = {}) {
  const app = spec.apps[index]!;
  const ids = resolveAppIds(app);
  const c = appCommand({ initPid: sandbox!.initPid, index, workingDirectory: opts.workingDirectory ?? app.workingDirectory, uid: ids.uid, gid: ids.gid, groups: ids.groups, argv });
  const r = spawnSync("/usr/bin/nsenter", c.args, { env: appEnvironment(app.environment), encoding: "utf8", timeout: 20_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

before(async () => {
  execFileSync("bash", [repoPath("ops/build-stage2.sh")]);
  mkdirSync(hostData);
  writeFileSync(join(hostData, "hello"), "from the host\n");
  mkdirSync(beforeMount);
  mkdirSync(afterMount);
  execFileSync("mount", ["-t", "tmpfs", "jetpack-test-before", beforeMount]);
  spec = busyboxPodSpec({
    podDir,
    uuid: "0b6c1f7e-2a37-4c4e-9d6b-7d8e3f2a1c00",
    hostname: "sandbox-test",
    emptyVolumes: ["shared"],
    hostVolumes: [{ name: "hostdata", source: hostData, readOnly: true }],
    apps: [
      { name: "alpha", exec: ["/bin/sleep", "1000"], user: "app", group: "app", supplementaryGids: [2000], mounts: [{ volume: "shared", target: "/shared" }, { volume: "hostdata", target: "/host" }] },
      {
        name: "beta",
        exec: ["/bin/sleep", "1000"],
        user: "4321",
        group: "4321",
        withEtc: false,
        readOnlyRootFS: true,
        environment: [{ name: "GREETING", value: "hello 'pod' $HOME" }],
        mounts: [{ volume: "shared", target: "/mnt/deep/shared" }],
      },
    ],
  });
  prepareSandbox(spec);
  sandbox = await startSandbox(spec, { netns: null, stage2: STAGE2 });
  podPidNs = readlinkSync(`/proc/${sandbox.initPid}/ns/pid`);
  execFileSync("mount", ["-t", "tmpfs", "jetpack-test-after", afterMount]);
});

after(async () => {
  if (sandbox !== null) await destroySandbox(sandbox);
  for (const m of [beforeMount, afterMount]) if (mounted(m)) spawnSync("umount", ["-l", m]);
  rmSync(base, { recursive: true, force: true });
});

describe("a Linux pod sandbox", () => {
  it("lets two apps sharing an empty volume see each other's files", () => {
    assert.equal(inApp(0, ["/bin/sh", "-c", "echo from alpha > /shared/a.txt"]).code, 0);
    assert.equal(inApp(1, ["/bin/sh", "-c", "cat /mnt/deep/shared/a.txt && echo from beta > /mnt/deep/shared/b.txt"]).stdout, "from alpha\n");
    assert.equal(inApp(0, ["/bin/cat", "/shared/b.txt"]).stdout, "from beta\n");
  });

  it("runs an app as its user and group by name, with its supplementary groups", () => {
    assert.equal(inApp(0, ["/bin/id"]).stdout.trim(), "uid=1000(app) gid=1000(app) groups=2000(extra)");
  });

  it("runs an app as a numeric user and group in a rootfs that has no /etc/passwd", () => {
    const r = inApp(1, ["/bin/sh", "-c", "id -u; id -g; id -G; test ! -e /etc/passwd && echo no-passwd"]);
    assert.equal(r.stdout, "4321\n4321\n4321\nno-passwd\n");
  });

  it("gives an app exactly the plan's environment: PATH, AC_APP_NAME, AC_METADATA_URL, container and its own", () => {
    const lines = inApp(1, ["/bin/env"]).stdout.trim().split("\n").sort();
    assert.deepEqual(lines, [`AC_APP_NAME=beta`, "AC_METADATA_URL=http://169.254.169.255/token", "GREETING=hello 'pod' $HOME", `PATH=${DEFAULT_PATH}`, "container=jetpack"].sort());
  });

  it("gives the pod its own hostname and leaves the host's alone", () => {
    assert.equal(inApp(0, ["/bin/hostname"]).stdout.trim(), "sandbox-test");
    assert.equal(inApp(1, ["/bin/hostname"]).stdout.trim(), "sandbox-test");
    assert.notEqual(hostHostname(), "sandbox-test");
  });

  it("gives a pod without a network namespace of its own an empty one with loopback up", () => {
    assert.equal(inApp(0, ["/bin/ls", "/sys/class/net"]).stdout, "lo\n");
    assert.match(inApp(0, ["/bin/ip", "link", "show", "lo"]).stdout, /<LOOPBACK,UP/);
  });

  it("shows only the pod's own processes in /proc, with stage2 init as PID 1", () => {
    const r = inApp(0, ["/bin/sh", "-c", "for p in /proc/[0-9]*; do echo \"${p#/proc/} $(tr '\\0' ' ' < $p/cmdline)\"; done"]);
    const procs = r.stdout.trim().split("\n");
    assert.match(procs.find((l) => l.startsWith("1 ")) ?? "", /jetpack-stage2 init/);
    // Besides init: only the shell that lists, and its subshells (tr); nothing of the host.
    for (const line of procs.filter((l) => !l.startsWith("1 "))) assert.match(line, /^\d+ (\/bin\/sh|tr|sh)?/);
    assert.ok(procs.length < 6, r.stdout);
    assert.equal(procs.some((l) => l.includes("node")), false);
  });

  it("mounts /sys read-only", () => {
    const r = inApp(0, ["/bin/sh", "-c", "test -d /sys/kernel && mkdir /sys/jetpack-test"]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /Read-only file system/);
  });

  it("provides the /dev of the appc Linux OS spec", () => {
    const script = [
      "for d in null zero full random urandom tty console; do test -c /dev/$d || echo missing $d; done",
      "test -L /dev/ptmx && test \"$(readlink /dev/ptmx)\" = pts/ptmx || echo bad ptmx",
      "grep -q ' /dev/pts devpts ' /proc/mounts || echo no devpts",
      "grep -q ' /dev/shm tmpfs ' /proc/mounts || echo no shm",
      "test -L /dev/fd && test -L /dev/stdin && test -L /dev/stdout && test -L /dev/stderr || echo no fd links",
      "echo x > /dev/null && head -c 4 /dev/zero | wc -c && echo x > /dev/shm/x && cat /dev/shm/x",
    ].join("\n");
    const r = inApp(0, ["/bin/sh", "-c", script]);
    assert.equal(r.stdout.replace(/ +/g, ""), "4\nx\n", r.stderr);
  });

  it("refuses writes to an app's read-only rootfs, but not to its volumes", () => {
    const r = inApp(1, ["/bin/sh", "-c", "touch /new-file"]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /Read-only file system/);
    assert.equal(inApp(1, ["/bin/sh", "-c", "touch /mnt/deep/shared/ok && echo ok"]).stdout, "ok\n");
    assert.equal(inApp(0, ["/bin/sh", "-c", "touch /tmp/writable && echo ok"]).stdout, "ok\n");
  });

  it("mounts a host volume (a path with spaces and quotes) read-only when asked", () => {
    assert.equal(inApp(0, ["/bin/cat", "/host/hello"]).stdout, "from the host\n");
    const r = inApp(0, ["/bin/sh", "-c", "touch /host/nope"]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /Read-only file system/);
  });

  it("fails with exit 125 and says so when the working directory does not exist in the app", () => {
    const r = inApp(0, ["/bin/true"], { workingDirectory: "/no/such/dir" });
    assert.equal(r.code, 125);
    assert.equal(r.stderr, "jetpack: working directory /no/such/dir does not exist in the app's root filesystem\n");
  });

  it("fails with exit 127 naming the program when it is not in the app", () => {
    const r = inApp(0, ["/usr/bin/missing"]);
    assert.equal(r.code, 127);
    assert.equal(r.stderr, "jetpack: cannot run /usr/bin/missing: No such file or directory\n");
  });

  it("keeps host mounts out of the pod (pivot): mounts made before and after it started can be unmounted on the host", () => {
    const podMounts = readFileSync(`/proc/${sandbox!.initPid}/mountinfo`, "utf8");
    // init's working directory moved with its root: it pins nothing of the host's tree.
    const [cwd, root] = [statSync(`/proc/${sandbox!.initPid}/cwd`), statSync(`/proc/${sandbox!.initPid}/root`)];
    assert.deepEqual([cwd.dev, cwd.ino], [root.dev, root.ino]);
    assert.equal(podMounts.includes(beforeMount), false);
    assert.equal(podMounts.includes(afterMount), false);
    assert.equal(podMounts.includes(" /proc/"), false);
    execFileSync("umount", [beforeMount]);
    execFileSync("umount", [afterMount]);
    assert.equal(mounted(beforeMount), false);
    assert.equal(mounted(afterMount), false);
    // The pod's view is its own root: its mount points are /0, /1 and what lies under them.
    const mountPoints = podMounts.trim().split("\n").map((l) => l.split(" ")[4]!);
    for (const m of mountPoints) assert.match(m, /^\/(0|1)?(\/|$)/);
  });

  it("leaves no process and no mount behind once torn down", async () => {
    await destroySandbox(sandbox!);
    sandbox = null;
    const left = readdirSync("/proc").filter((p) => /^\d+$/.test(p)).filter((p) => {
      try {
        return readlinkSync(`/proc/${p}/ns/pid`) === podPidNs;
      } catch {
        return false;
      }
    });
    assert.deepEqual(left, []);
    assert.equal(readFileSync("/proc/self/mountinfo", "utf8").includes(podDir), false);
  });
});

describe("a pod given a network namespace", () => {
  const netns = `jetpack-test-${process.pid}`;
  let joined: Sandbox | null = null;
  after(async () => {
    if (joined !== null) await destroySandbox(joined);
    spawnSync("ip", ["netns", "del", netns]);
  });

  it("joins it instead of making its own", async () => {
    execFileSync("ip", ["netns", "add", netns]);
    const spec2 = busyboxPodSpec({ podDir: join(base, "netns-pod"), uuid: "u-netns", apps: [{ name: "a", exec: ["/bin/true"] }] });
    prepareSandbox(spec2);
    joined = await startSandbox(spec2, { netns: `/run/netns/${netns}`, stage2: STAGE2 });
    assert.equal(readlinkSync(`/proc/${joined.initPid}/ns/net`), `net:[${statSync(`/run/netns/${netns}`).ino}]`);
    assert.notEqual(readlinkSync(`/proc/${joined.initPid}/ns/net`), readlinkSync("/proc/self/ns/net"));
    await destroySandbox(joined);
    joined = null;
    // Nothing of the pod holds the namespace's mount: the host can delete it.
    execFileSync("ip", ["netns", "del", netns]);
    assert.equal(existsSync(`/run/netns/${netns}`), false);
  });
});

describe("refusals before anything starts", () => {
  it("refuses a host volume whose source is missing, naming the volume, and starts nothing", () => {
    const dir = join(base, "refused-missing");
    const bad = busyboxPodSpec({ podDir: dir, uuid: "u-missing", apps: [{ name: "a", exec: ["/bin/true"], mounts: [{ volume: "gone", target: "/gone" }] }], hostVolumes: [{ name: "gone", source: join(base, "no-such-dir") }] });
    const seen: string[][] = [];
    const stop = observeExec((argv) => seen.push([...argv]));
    try {
      assert.throws(() => prepareSandbox(bad), (e: unknown) => e instanceof JetpackError && e.code === "JP_ERR_POD_VOLUME_SOURCE" && /volume "gone"/.test(e.message));
    } finally {
      stop();
    }
    assert.deepEqual(seen, []);
  });

  it("refuses a host volume reached through a symbolic link, naming the volume", () => {
    const real = join(base, "real-dir");
    mkdirSync(real);
    symlinkSync(real, join(base, "link-dir"));
    const bad = busyboxPodSpec({ podDir: join(base, "refused-link"), uuid: "u-link", apps: [{ name: "a", exec: ["/bin/true"], mounts: [{ volume: "linked", target: "/l" }] }], hostVolumes: [{ name: "linked", source: join(base, "link-dir") }] });
    assert.throws(() => prepareSandbox(bad), /volume "linked": its source .* is reached through a symbolic link/);
  });
});

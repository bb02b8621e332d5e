// The FreeBSD pod host end to end, with stub jail, jls and stage2 programs in a temp dir (no FreeBSD
// host runs here): every command line it runs, and the jail.conf and fstab it writes, against golden
// files in test/fixtures/jail/host/, the temp dir written as /TMP. That directory is also a case of
// test/unit/workers/host/jail/golden.test.ts (it reads every directory there): this test writes its
// spec.json, config.json and host.json, that one its commands.json. To rewrite them after a deliberate change:
//   UPDATE_GOLDEN=1 npx tsx --test test/integration/pods/freebsd-host.test.ts test/unit/workers/host/jail/golden.test.ts
// and read the diff against reference/jetpack.md §3.
import assert from "node:assert/strict";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, afterEach, describe, it } from "node:test";
import { parseImageManifest, parsePodManifest } from "../../../machines/appc/index.js";
import { JetpackError } from "../../../machines/errors.js";
import { planPod, type PodRunSpec } from "../../../machines/pod/index.js";
import { observeExec } from "../../../workers/host/exec.js";
import { parseJailBackendConfig } from "../../../workers/host/jail/index.js";
import { freebsdPodHost } from "../../../workers/pods/freebsd-host.js";
import { readJailRecord } from "../../../workers/pods/freebsd-status.js";
import { repoPath } from "../../support/repo.js";

const GOLDEN = repoPath("test/fixtures/jail/host");
const UPDATE = process.env.UPDATE_GOLDEN === "1";
const PLACEHOLDER = "/TMP";
const UUID = "0d5b0f8e-4a57-4c0c-9d7f-3e1f6f0c2a11";
const JAIL = `jetpack/${UUID}`;
const id = (c: string) => `sha512-${c.repeat(128)}`;

function golden(file: string, actual: string): void {
  if (UPDATE) writeFileSync(join(GOLDEN, file), actual);
  else assert.equal(actual, readFileSync(join(GOLDEN, file), "utf8"), `${file} differs from what the FreeBSD host wrote or ran`);
}

function script(path: string, body: string): void {
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
}

/** A temp host: stub programs that log their argv, a pod dir with two app rootfs, a host volume source. */
function fakeHost(opts: { createFails?: boolean; appsLinger?: boolean } = {}) {
  const tmp = mkdtempSync(join(tmpdir(), "jp-fbsd-host-"));
  const bin = join(tmp, "bin");
  const libexec = join(tmp, "libexec");
  const podDir = join(tmp, "pods", UUID);
  const record = join(tmp, "argv.log");
  const exists = join(tmp, "jail-exists");
  mkdirSync(bin, { recursive: true });
  mkdirSync(libexec, { recursive: true });
  mkdirSync(join(tmp, "srv", "data"), { recursive: true });
  for (const i of [0, 1]) mkdirSync(join(podDir, "rootfs", String(i), "etc"), { recursive: true });
  writeFileSync(join(podDir, "rootfs", "1", "etc", "passwd"), "root:*:0:0::/root:/bin/sh\nwww:*:80:80::/nonexistent:/usr/sbin/nologin\n");
  writeFileSync(join(podDir, "rootfs", "1", "etc", "group"), "wheel:*:0:root\nwww:*:80:\n");
  script(
    join(bin, "jail"),
    opts.createFails
      ? `echo "jail $*" >> ${record}\necho "jail: ${JAIL}: ifconfig lo1 inet 172.23.0.2 netmask 255.255.255.255 alias: Device not configured" >&2\nexit 1`
      : `echo "jail $*" >> ${record}\ncase "$3" in\n-c) touch ${exists} ;;\n-r) if [ -e ${exists} ]; then rm ${exists}; else echo "jail: \\"$4\\" not found" >&2; exit 1; fi ;;\nesac`,
  );
  script(join(bin, "jls"), `[ -e ${exists} ] && echo "7 false ${JAIL}"\nexit 0`);
  // An app's main process lingers like a daemon would (its exec ends in --foreground); handlers end at once.
  script(join(libexec, "stage2"), `echo "stage2 $*" >> ${record}\ncase "$*" in\n*--foreground*) ${opts.appsLinger === false ? "exit 0" : "exec /bin/sleep 30"} ;;\nesac\necho "ran $*"\nexit 0`);
  const image = (name: string, app: unknown) => parseImageManifest({ acKind: "ImageManifest", acVersion: "0.8.11", name, labels: [{ name: "os", value: "freebsd" }], app });
  const images = new Map([
    [id("d"), image("example.com/db", {
      exec: ["/usr/local/bin/db", "--foreground"],
      user: "0",
      group: "0",
      eventHandlers: [{ name: "pre-start", exec: ["/usr/local/bin/db-init", "--once"] }],
      mountPoints: [{ name: "data", path: "/var/db" }],
    })],
    [id("a"), image("example.com/web", {
      exec: ["/usr/local/bin/web", "--foreground"],
      user: "www",
      group: "www",
      eventHandlers: [{ name: "post-stop", exec: ["/usr/local/bin/web-flush"] }],
      mountPoints: [{ name: "cache", path: "/var/cache/web" }],
      isolators: [{ name: "resource/memory", value: { limit: "512Mi" } }],
    })],
  ]);
  const pod = parsePodManifest({
    acVersion: "0.8.11",
    acKind: "PodManifest",
    apps: [
      { name: "db", image: { id: id("d") }, mounts: [{ volume: "data", path: "/var/db" }] },
      { name: "web", image: { id: id("a") }, mounts: [{ volume: "cache", path: "/var/cache/web" }] },
    ],
    volumes: [
      { name: "data", kind: "host", source: join(tmp, "srv", "data") },
      { name: "cache", kind: "empty", mode: "0750", uid: 80, gid: 80 },
    ],
  });
  const spec: PodRunSpec = planPod(pod, { uuid: UUID, images, paths: { podDir }, ip: "172.23.0.2", metadataUrl: "http://172.23.0.1:2375/t0ken/", hostIsolators: { cgroups: false } });
  const config = parseJailBackendConfig({ libexecDir: libexec });
  const host = freebsdPodHost({ config, commands: { jail: join(bin, "jail"), jls: join(bin, "jls") }, pollMs: 50 });
  const seen: string[] = [];
  const unobserve = observeExec((argv) => seen.push(argv.join(" ").replaceAll(tmp, PLACEHOLDER)));
  const cleanup = () => {
    unobserve();
    for (const a of readJailRecord(podDir)?.apps ?? []) {
      try {
        if (a.pid !== null) process.kill(a.pid, "SIGKILL");
      } catch {
        // gone already
      }
    }
    rmSync(tmp, { recursive: true, force: true });
  };
  return { tmp, podDir, spec, host, seen, record, cleanup };
}

describe("FreeBSD pod host", () => {
  const cleanups: Array<() => void> = [];
  afterEach(() => {
    while (cleanups.length > 0) cleanups.pop()!();
  });
  after(() => {
    while (cleanups.length > 0) cleanups.pop()!();
  });

  it("reports resource isolators as not enforced, since FreeBSD has no cgroups", async () => {
    const h = fakeHost();
    cleanups.push(h.cleanup);
    assert.deepEqual(await h.host.isolators(), { cgroups: false });
    assert.deepEqual(h.spec.apps[1]!.isolators.ignored.map((i) => i.name), ["resource/memory"]);
    assert.deepEqual(await h.host.setupNetwork(UUID, "172.23.0.2"), { netnsPath: "" });
    assert.deepEqual(await h.host.createCgroups(h.spec), {});
  });

  it("launches, reports and stops a two-app pod with exactly the golden command lines and files", async () => {
    const h = fakeHost();
    cleanups.push(h.cleanup);
    const started = await h.host.launch(h.spec, "", {});
    assert.equal(started.state, "running");
    assert.equal(started.live, true);
    assert.deepEqual(started.apps.map((a) => [a.name, a.state]), [["db", "running"], ["web", "running"]]);
    const status = await h.host.status(h.podDir);
    assert.deepEqual(status, started);
    const exec = h.host.execCommand(h.podDir, h.spec, "web", ["/bin/sh"]);
    assert.deepEqual([exec.cmd.replaceAll(h.tmp, PLACEHOLDER), ...exec.args.slice(0, 1), ...exec.args.slice(-1)], [`${PLACEHOLDER}/libexec/stage2`, "7:80:80:web:/", "/bin/sh"]);
    const stopped = await h.host.stop(h.podDir, 5000);
    assert.equal(stopped.state, "exited");
    assert.equal(stopped.live, false);
    assert.deepEqual(stopped.apps.map((a) => [a.name, a.state, a.signal, a.reason]), [["db", "exited", "SIGTERM", "stopped"], ["web", "exited", "SIGTERM", "stopped"]]);
    assert.deepEqual(await h.host.stop(h.podDir, 5000), stopped, "a second stop answers with the same final status");
    assert.match(readFileSync(join(h.podDir, "logs", "db.log"), "utf8"), /ran .*\/usr\/local\/bin\/db-init --once/);
    assert.ok(existsSync(join(h.podDir, "rootfs", "vol", "data")), "the host volume's mount point was made");
    assert.ok(existsSync(join(h.podDir, "rootfs", "1", "var", "cache", "web")), "the empty volume's mount point was made");
    const placeholder = (text: string) => text.replaceAll(h.tmp, PLACEHOLDER);
    golden("spec.json", placeholder(`${JSON.stringify(h.spec, null, 2)}\n`));
    golden("config.json", `${JSON.stringify({ libexecDir: `${PLACEHOLDER}/libexec` }, null, 2)}\n`);
    golden("host.json", `${JSON.stringify({ jid: 7, ids: { db: { uid: 0, gid: 0, gids: [] }, web: { uid: 80, gid: 80, gids: [] } } }, null, 2)}\n`);
    golden("commands.txt", `${h.seen.join("\n")}\n`);
    golden("jail.conf", placeholder(readFileSync(join(h.podDir, "jail.conf"), "utf8")));
    golden("fstab", placeholder(readFileSync(join(h.podDir, "fstab"), "utf8")));
  });

  it("runs the post-stop handlers and removes the jail once every app has ended on its own", async () => {
    const h = fakeHost({ appsLinger: false });
    cleanups.push(h.cleanup);
    await h.host.launch(h.spec, "", {});
    // The host's poll timer and apps are unref'd (they must not hold a daemon open): hold this test open.
    const keepAlive = setInterval(() => {}, 1000);
    const final = await new Promise<unknown>((resolve) => {
      const w = h.host.watch(h.podDir, (s) => {
        if (s.state === "exited") {
          w.close();
          resolve(s);
        }
      }, () => resolve("gone"));
    }).finally(() => clearInterval(keepAlive));
    assert.deepEqual(final, {
      state: "exited",
      live: false,
      apps: [
        { name: "db", state: "exited", exitCode: 0, signal: null, reason: null },
        { name: "web", state: "exited", exitCode: 0, signal: null, reason: null },
      ],
    });
    assert.ok(h.seen.some((l) => l.endsWith("/usr/local/bin/web-flush")), "the post-stop handler ran");
    assert.equal(h.seen.at(-2)?.startsWith(`${PLACEHOLDER}/bin/jail -f`), true, `the jail was removed: ${h.seen.join(" | ")}`);
  });

  it("fails launch naming the jail when jail -c fails, and starts no app", async () => {
    const h = fakeHost({ createFails: true });
    cleanups.push(h.cleanup);
    await assert.rejects(h.host.launch(h.spec, "", {}), (e: unknown) => {
      assert.ok(e instanceof JetpackError);
      assert.equal(e.code, "JP_ERR_JAIL_CREATE");
      assert.match(e.message, new RegExp(`could not create jail "${JAIL}" for pod ${UUID}: .*Device not configured`));
      return true;
    });
    assert.equal(h.seen.some((l) => l.includes("stage2")), false, `no stage2 ran: ${h.seen.join(" | ")}`);
    assert.equal(readFileSync(h.record, "utf8").includes("stage2"), false);
    const status = await h.host.status(h.podDir);
    assert.equal(status?.state, "failed");
    assert.deepEqual(status?.apps.map((a) => a.state), ["exited", "exited"]);
  });

  it("kills a pod whose jail is already gone without complaint", async () => {
    const h = fakeHost();
    cleanups.push(h.cleanup);
    await h.host.kill(h.podDir);
    assert.deepEqual(h.seen, [`${PLACEHOLDER}/bin/jail -f ${PLACEHOLDER}/pods/${UUID}/jail.conf -r ${JAIL}`]);
    assert.equal(await h.host.status(h.podDir), null);
  });
});

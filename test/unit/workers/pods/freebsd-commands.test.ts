import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { PodRunSpec, RunApp } from "../../../../machines/pod/run-spec.js";
import {
  defaultCommandPaths,
  handlerArgvs,
  isJailNotFound,
  jlsArgv,
  mountTargets,
  pingArgv,
  podCommands,
  removeArgvForDir,
  stage2ArgvFor,
} from "../../../../workers/pods/freebsd-commands.js";
import { parseJailBackendConfig } from "../../../../workers/host/jail/index.js";
import { testRunApp, testRunSpec } from "../../../support/run-spec.js";

const UUID = "0d5b0f8e-4a57-4c0c-9d7f-3e1f6f0c2a11";
const DIR = `/var/jetpack/pods/${UUID}`;
const config = parseJailBackendConfig({});
const paths = { jail: "/stub/jail", jls: "/stub/jls", ping: "/stub/ping", stage2: "/stub/stage2" };

const app = (name: string, index: number, over: Partial<RunApp> = {}): RunApp =>
  testRunApp(DIR, name, index, { os: "freebsd", exec: ["/usr/bin/daemon", "--foreground"], ...over });
const spec = (apps: RunApp[], over: Partial<PodRunSpec> = {}): PodRunSpec => testRunSpec(UUID, DIR, apps, { ip: "172.23.0.2", ...over });

describe("FreeBSD pod host command lines", () => {
  it("uses FreeBSD's jail, jls and ping, and stage2 from the configured libexec directory, by default", () => {
    assert.deepEqual(defaultCommandPaths(parseJailBackendConfig({ libexecDir: "/opt/jetpack/libexec" })), {
      jail: "/usr/sbin/jail",
      jls: "/usr/sbin/jls",
      ping: "/sbin/ping",
      stage2: "/opt/jetpack/libexec/stage2",
    });
  });

  it("creates and removes the pod's jail from its jail.conf, with the configured jail program", () => {
    const c = podCommands(spec([app("web", 0)]), config, paths);
    assert.equal(c.name, `jetpack/${UUID}`);
    assert.deepEqual(c.create, ["/stub/jail", "-f", `${DIR}/jail.conf`, "-c", `jetpack/${UUID}`]);
    assert.deepEqual(c.remove, ["/stub/jail", "-f", `${DIR}/jail.conf`, "-r", `jetpack/${UUID}`]);
    assert.deepEqual(c.status, ["/stub/jls", "-d", "jid", "dying", "name"]);
    assert.deepEqual(jlsArgv(paths), c.status);
  });

  it("removes a pod's jail knowing only its directory, as kill and stop do", () => {
    assert.deepEqual(removeArgvForDir(DIR, config, paths), { name: `jetpack/${UUID}`, argv: ["/stub/jail", "-f", `${DIR}/jail.conf`, "-r", `jetpack/${UUID}`] });
  });

  it("refuses a pod directory that is not named after a pod UUID", () => {
    assert.throws(() => removeArgvForDir("/var/jetpack/pods/not-a-uuid", config, paths), /not a lowercase UUID/);
  });

  it("pings an address once with a one-second timeout, FreeBSD style", () => {
    assert.deepEqual(pingArgv("172.23.0.9", paths), ["/stub/ping", "-c", "1", "-t", "1", "172.23.0.9"]);
  });

  it("runs an app through the configured stage2 with its ids, working directory and environment", () => {
    assert.deepEqual(stage2ArgvFor(config, paths, 7, app("web", 1), { uid: 80, gid: 80, gids: [5] }), [
      "/stub/stage2",
      "7:80:80,5:web:/",
      "AC_APP_NAME=web",
      "/usr/bin/daemon",
      "--foreground",
    ]);
    assert.deepEqual(stage2ArgvFor(config, paths, 7, app("web", 1), { uid: 0, gid: 0, gids: [] }, ["/bin/sh", "-l"]).slice(-2), ["/bin/sh", "-l"]);
  });

  it("runs an app's handlers of one kind as root, in the manifest's order", () => {
    const a = app("db", 0, {
      eventHandlers: [
        { name: "pre-start", exec: ["/bin/prep", "1"] },
        { name: "post-stop", exec: ["/bin/clean"] },
        { name: "pre-start", exec: ["/bin/prep", "2"] },
      ],
    });
    assert.deepEqual(handlerArgvs(config, paths, 3, a, "pre-start"), [
      ["/stub/stage2", "3:0:0:db:/", "AC_APP_NAME=db", "/bin/prep", "1"],
      ["/stub/stage2", "3:0:0:db:/", "AC_APP_NAME=db", "/bin/prep", "2"],
    ]);
    assert.deepEqual(handlerArgvs(config, paths, 3, a, "post-stop"), [["/stub/stage2", "3:0:0:db:/", "AC_APP_NAME=db", "/bin/clean"]]);
    assert.deepEqual(handlerArgvs(config, paths, 3, app("web", 1), "post-stop"), []);
  });

  it("lists every mount point of the fstab: host volumes under /vol, each app's /dev, Linux /proc and /sys, each volume mount", () => {
    const s = spec(
      [
        app("db", 0, {
          os: "linux",
          mounts: [{ source: "/srv/data", target: "/var/db", readOnly: false, volume: "data", kind: "host", recursive: true }],
        }),
        app("web", 1, { mounts: [{ source: `${DIR}/volumes/cache`, target: "/cache", readOnly: false, volume: "cache", kind: "empty", recursive: false }] }),
      ],
      {
        volumes: [
          { name: "data", kind: "host", source: "/srv/data", readOnly: false, mode: null, uid: null, gid: null },
          { name: "cache", kind: "empty", source: `${DIR}/volumes/cache`, readOnly: false, mode: "0755", uid: 0, gid: 0 },
        ],
      },
    );
    assert.deepEqual(
      mountTargets(s).map((t) => [t.rootfs, t.target, t.app, t.volume, t.hostSource]),
      [
        [`${DIR}/rootfs`, "/vol/data", "pod", "data", "/srv/data"],
        [`${DIR}/rootfs/0`, "/dev", "db", "devfs", null],
        [`${DIR}/rootfs/0`, "/proc", "db", "linprocfs", null],
        [`${DIR}/rootfs/0`, "/sys", "db", "linsysfs", null],
        [`${DIR}/rootfs/0`, "/var/db", "db", "data", "/srv/data"],
        [`${DIR}/rootfs/1`, "/dev", "web", "devfs", null],
        [`${DIR}/rootfs/1`, "/cache", "web", "cache", null],
      ],
    );
  });

  it("tells a jail that is already gone from other failures of jail -r", () => {
    assert.equal(isJailNotFound(`jail: "jetpack/${UUID}" not found\n`), true);
    assert.equal(isJailNotFound("jail: jail.conf: No such file or directory\n"), false);
  });
});

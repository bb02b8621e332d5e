// A daemon ready to run pods, for the tests that run them: its own zfs-fuse pool, pod network and bridge,
// and the busybox image (example.com/busybox:1.0.0) imported. Everything goes in teardown().
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { removeBridge } from "../../workers/host/network/index.js";
import { startTestDaemon, teardown, type TestDaemon } from "./daemon.js";
import { repoPath } from "./repo.js";
import { createTestPool, type TestPool } from "./zfs-pool.js";

export interface PodHost {
  pool: TestPool;
  daemon: TestDaemon;
  /** A temp dir for the test's files (pod manifests). */
  work: string;
  /** The first three octets of the pod network (`10.253.7`): pods get `<net>.2` and up, the host `<net>.1`. */
  net: string;
  bridge: string;
  teardown(): Promise<void>;
}

/** Effects. Starts a pod-ready daemon; `secondOctet` keeps test files' networks apart. */
export async function startPodHost(opts: { secondOctet: number; daemonArgs?: string[] }): Promise<PodHost> {
  const bridge = `jpt${randomBytes(3).toString("hex")}`;
  const net = `10.${opts.secondOctet}.${1 + (randomBytes(1)[0]! % 250)}`;
  const pool = await createTestPool({ sizeMiB: 1024 });
  const work = await mkdtemp(`${tmpdir()}/jp-pods-`);
  let daemon: TestDaemon | undefined;
  const down = async () => {
    await teardown(daemon, pool, work);
    await removeBridge(bridge).catch(() => undefined);
  };
  try {
    daemon = await startTestDaemon({ zfsRoot: `${pool.pool}/jetpack`, args: ["--pod-network", `${net}.0/24`, "--bridge", bridge, ...(opts.daemonArgs ?? [])] });
    execFileSync("bash", [repoPath("ops/images/busybox.sh"), `${work}/busybox.aci`, "example.com/busybox", "1.0.0"]);
    const r = daemon.cli(["image", "import", `${work}/busybox.aci`, "--insecure-options=image"]);
    assert.equal(r.code, 0, r.stderr);
  } catch (err) {
    await down();
    throw err;
  }
  return { pool, daemon, work, net, bridge, teardown: down };
}

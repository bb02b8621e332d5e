// A throwaway ZFS pool on a sparse file, for tests that need real ZFS.
//
// The pool is created with `-m none`: its root dataset is never mounted, so nothing appears anywhere
// until a test gives a dataset an explicit mountpoint, which should be under `mountRoot` (a directory
// in the pool's own temp dir). Tests thus never write outside their temp dir, and `destroy()` can
// remove it all. `cachefile=none` keeps the pool out of zpool.cache, so a zfs-fuse restart after a
// crashed test does not try to import a pool whose file is gone.
//
// zfs-fuse is a userspace daemon shared by everything on the machine (other engineers' pools included):
// `ensureZfsDaemon` starts it when `zpool list` cannot reach it, and only a daemon started here is ever
// stopped, and only when no pool at all is left on it (so when test files run in parallel, the one that
// started it may leave it running for the others: it is a system service, and that is harmless).
// Datasets in these pools should be made through Storage (createZfsStorage), whose changes take the
// machine-wide zfs-fuse lock: two mounts at once from different processes wedge zfs-fuse for good.
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, mkdir } from "node:fs/promises";
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface TestPool {
  pool: string;
  /** The sparse file backing the pool. */
  file: string;
  /** An empty directory for test datasets' mountpoints. */
  mountRoot: string;
  /** Destroys the pool and removes its file and directories; safe to call more than once. */
  destroy(): Promise<void>;
}

const ZFS_FUSE = "/usr/sbin/zfs-fuse";
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function zpool(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync("zpool", args, { encoding: "utf8" });
  if (r.error) throw r.error;
  return { code: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
}

function daemonAnswers(): boolean {
  const r = zpool(["list", "-H", "-o", "name"]);
  if (r.code === 0) return true;
  if (/zfs-fuse daemon is running|failed to initialize ZFS library/i.test(r.stderr)) return false;
  throw new Error(`zpool list failed: ${r.stderr.trim()}`);
}

let startedPid: number | undefined;

/** Whether this process started the zfs-fuse daemon now running. */
export function zfsDaemonStartedHere(): boolean {
  return startedPid !== undefined;
}

/** Makes sure zfs/zpool can reach a ZFS: starts zfs-fuse if `zpool list` cannot connect, and waits for it. */
export async function ensureZfsDaemon(opts: { timeoutMs?: number } = {}): Promise<void> {
  if (daemonAnswers()) return;
  const timeoutMs = opts.timeoutMs ?? 15_000;
  // --no-daemon keeps the pid ours to know; detached + unref lets it outlive this test process.
  const child = spawn(ZFS_FUSE, ["--no-daemon"], { detached: true, stdio: "ignore" });
  child.unref();
  let exitCode: number | null | undefined;
  child.on("exit", (code) => (exitCode = code));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    await sleep(100);
    if (!daemonAnswers()) continue;
    // Ours exited at once: another test process won the race to start one (zfs-fuse takes
    // /var/lock/zfs/zfs_lock). That daemon answers, and it is not ours to stop.
    if (exitCode === undefined) startedPid = child.pid;
    return;
  }
  if (exitCode === undefined) child.kill("SIGTERM");
  throw new Error(`${ZFS_FUSE} did not answer within ${timeoutMs} ms${exitCode !== undefined ? ` (it exited with code ${exitCode}; is /dev/fuse there?)` : ""}`);
}

/** Stops zfs-fuse if this process started it and no pool is left on it; otherwise does nothing. */
export async function stopZfsDaemonIfStartedHere(): Promise<void> {
  if (startedPid === undefined) return;
  const pools = zpool(["list", "-H", "-o", "name"]);
  if (pools.code !== 0 || pools.stdout.trim() !== "") return;
  const pid = startedPid;
  startedPid = undefined;
  try {
    process.kill(pid, "SIGTERM");
  } catch {
    return; // already gone
  }
  for (let i = 0; i < 100; i++) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await sleep(100);
  }
}

/** Mounts under `dir` still in the kernel's table (they must be gone before the dir is removed). */
function mountsUnder(dir: string): string[] {
  return readFileSync("/proc/self/mounts", "utf8")
    .split("\n")
    .map((l) => (l.split(" ")[1] ?? "").replace(/\\040/g, " "))
    .filter((m) => m === dir || m.startsWith(`${dir}/`));
}

async function destroyPool(pool: string): Promise<void> {
  for (let i = 0; i < 10; i++) {
    const r = zpool(["destroy", pool]);
    if (r.code === 0 || /no such pool/i.test(r.stderr)) return;
    if (!/busy/i.test(r.stderr)) break;
    await sleep(100 * (i + 1));
  }
  const r = zpool(["destroy", "-f", pool]);
  if (r.code !== 0 && !/no such pool/i.test(r.stderr)) throw new Error(`cannot destroy test pool ${pool}: ${r.stderr.trim()}`);
}

/** Creates a unique pool `jpt<pid><random>` on a sparse file in a new temp dir; starts zfs-fuse if needed. */
export async function createTestPool(opts: { sizeMiB?: number } = {}): Promise<TestPool> {
  await ensureZfsDaemon();
  const dir = await mkdtemp(join(tmpdir(), "jetpack-pool-"));
  const file = join(dir, "pool.img");
  const mountRoot = join(dir, "mnt");
  const pool = `jpt${process.pid}${randomBytes(4).toString("hex")}`;
  let done: Promise<void> | undefined;
  const destroy = () =>
    (done ??= (async () => {
      await destroyPool(pool);
      const left = mountsUnder(dir);
      if (left.length > 0) throw new Error(`test pool ${pool} is gone but these are still mounted: ${left.join(", ")}`);
      await rm(dir, { recursive: true, force: true });
    })().catch((err: unknown) => {
      done = undefined; // a later call tries again
      throw err;
    }));
  try {
    await mkdir(mountRoot);
    spawnSync("truncate", ["-s", `${opts.sizeMiB ?? 256}M`, file]);
    const r = zpool(["create", "-m", "none", "-o", "cachefile=none", pool, file]);
    if (r.code !== 0) throw new Error(`zpool create ${pool} failed: ${r.stderr.trim()}`);
  } catch (err) {
    await destroy().catch(() => {});
    throw err;
  }
  return { pool, file, mountRoot, destroy };
}

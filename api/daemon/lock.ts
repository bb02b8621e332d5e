// One daemon per root: a pid file taken at start. Effects (files, signals).
import { open, readFile, rm } from "node:fs/promises";
import { fail } from "../../machines/errors.js";

/** Takes `<root>/daemon.pid`; a pid file whose process is gone is stale and taken over. */
export async function takeDaemonLock(path: string): Promise<{ release(): Promise<void> }> {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fh = await open(path, "wx", 0o644);
      await fh.writeFile(`${process.pid}\n`);
      await fh.close();
      return { release: () => rm(path, { force: true }) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      const pid = Number.parseInt(await readFile(path, "utf8").catch(() => ""), 10);
      if (Number.isInteger(pid) && pid > 0 && alive(pid)) {
        throw fail("conflict", "JP_ERR_DAEMON_RUNNING", `another jetpack daemon (pid ${pid}) is running on this root`, {
          hint: `stop it first (kill ${pid}), or use another --root`,
        });
      }
      await rm(path, { force: true });
    }
  }
  throw fail("internal", "JP_ERR_DAEMON_LOCK", `could not take ${path}`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

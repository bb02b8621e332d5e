// The pod supervisor process (started detached by client.ts `launchPod`, so that it outlives the daemon):
// `node main.js <launch file>`. It runs the pod, serves its status on the pod's socket, and exits once
// the pod is over, leaving status.json on disk for whoever asks later. Effects.
import { readFileSync, rmSync } from "node:fs";
import { parseOrFail } from "../../../machines/validate.js";
import { launchFileSchema, supervisorPaths, type LaunchFile } from "./launch.js";
import { serveSupervisor } from "./server.js";
import { Supervisor } from "./supervisor.js";

function log(line: string): void {
  process.stderr.write(`${new Date().toISOString()} ${line}\n`);
}

async function main(argv: string[]): Promise<void> {
  const file = argv[0];
  if (file === undefined) throw new Error("usage: supervisor <launch file>");
  const launch = parseOrFail(launchFileSchema, JSON.parse(readFileSync(file, "utf8")), "JP_ERR_POD_LAUNCH_FILE", `launch file ${file}`) as unknown as LaunchFile;
  const paths = supervisorPaths(launch.spec.paths.dir);
  const supervisor = new Supervisor(launch, log);
  log(`supervisor ${process.pid} for pod ${launch.spec.uuid}`);
  // The supervisor must not die with the terminal or the daemon that started it.
  process.on("SIGHUP", () => {});
  process.on("SIGINT", () => {});
  process.on("SIGTERM", () => void supervisor.stop(10_000));
  const server = await serveSupervisor(supervisor, paths.socket);
  await supervisor.start();
  const final = await supervisor.done;
  log(`pod ${final.state}`);
  // Give answers in flight (a POST /stop, the watch streams' last line) a moment to leave.
  await new Promise((r) => setTimeout(r, 200));
  rmSync(paths.socket, { force: true });
  server.closeAllConnections();
  server.close();
  process.exit(0);
}

main(process.argv.slice(2)).catch((e: unknown) => {
  log(`supervisor failed: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
  process.exit(1);
});

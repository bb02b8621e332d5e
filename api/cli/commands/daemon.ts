// jetpack daemon: runs the daemon in this process until SIGINT or SIGTERM, then stops it cleanly.
//
// The daemon's modules (BullMQ, Redis, ZFS, workers) load only here, on demand, so every other command
// starts without them.
import type { DaemonOptions, RunningDaemon } from "../../daemon/main.js";
import { resolve } from "node:path";
import { expectPositionals, intValue, lastValue, type ParsedArgs } from "../args.js";
import type { CliContext, Command } from "../context.js";

export interface SignalSource {
  once(signal: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
  off(signal: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
}

export interface DaemonRunDeps {
  start: (opts: DaemonOptions) => Promise<RunningDaemon>;
  signals: SignalSource;
  /** Leaves at once when a second signal comes while stopping (a stop that hangs must not trap the user). */
  forceExit: (code: number) => void;
  /** How long a stopped daemon may take to leave on its own before it is made to; default LINGER_MS. */
  lingerMs?: number;
}

const defaultDeps: DaemonRunDeps = {
  start: async (opts) => (await import("../../daemon/main.js")).startDaemon(opts),
  signals: process,
  forceExit: (code) => process.exit(code),
};

export const LINGER_MS = 2000;

const STOP_SIGNALS: NodeJS.Signals[] = ["SIGINT", "SIGTERM"];

/** The first of SIGINT/SIGTERM; from then on `onAgain` hears each further one. `cancel` stops listening. */
function firstSignal(signals: SignalSource, onAgain: (s: NodeJS.Signals) => void): { signalled: Promise<NodeJS.Signals>; cancel: () => void } {
  let first: (s: NodeJS.Signals) => void = () => undefined;
  const signalled = new Promise<NodeJS.Signals>((resolve) => {
    first = (s) => {
      for (const name of STOP_SIGNALS) signals.off(name, first);
      for (const name of STOP_SIGNALS) signals.once(name, onAgain);
      resolve(s);
    };
  });
  for (const name of STOP_SIGNALS) signals.once(name, first);
  const cancel = () => {
    for (const name of STOP_SIGNALS) signals.off(name, first);
  };
  return { signalled, cancel };
}

export async function runDaemon(args: ParsedArgs, ctx: CliContext, deps: DaemonRunDeps = defaultDeps): Promise<void> {
  expectPositionals(args, [], daemonCommand.usage);
  const zfs = lastValue(args, "zfs");
  const redis = lastValue(args, "redis");
  const ca = lastValue(args, "ca");
  const port = lastValue(args, "discovery-port");
  const podNetwork = lastValue(args, "pod-network");
  const bridge = lastValue(args, "bridge");
  const metadataPort = intValue(args, "metadata-port", 1);
  const listen = lastValue(args, "listen");
  const tokenFile = lastValue(args, "token-file");
  const say = (line: string) => void ctx.stderr.write(`jetpack daemon: ${line}\n`);
  // Listen before starting, so a signal during a slow start still ends in a clean stop.
  const { signalled, cancel } = firstSignal(deps.signals, (s) => {
    say(`${s} again: leaving without finishing the stop`);
    deps.forceExit(130);
  });
  let running: RunningDaemon;
  try {
    running = await deps.start({
      root: ctx.root,
      say,
      ...(zfs !== undefined ? { zfs } : {}),
      ...(redis !== undefined ? { redis } : {}),
      ...(ca !== undefined ? { ca: resolve(ctx.cwd, ca) } : {}),
      ...(port !== undefined ? { discoveryPort: Number(port) } : {}),
      ...(podNetwork !== undefined ? { podNetwork } : {}),
      ...(bridge !== undefined ? { bridge } : {}),
      ...(metadataPort !== undefined ? { metadataPort } : {}),
      ...(listen !== undefined ? { listen } : {}),
      ...(tokenFile !== undefined ? { tokenFile: resolve(ctx.cwd, tokenFile) } : {}),
    });
  } catch (err) {
    cancel();
    throw err;
  }
  const signal = await signalled;
  say(`${signal}: stopping`);
  await running.stop();
  say("stopped");
  // A job that never ends (a hung host command) can keep the event loop alive after everything was
  // closed; a stopped daemon must still leave. Unref'd, the timer itself holds nothing open.
  const linger = deps.lingerMs ?? LINGER_MS;
  setTimeout(() => {
    say(`still running ${linger} ms after the stop (some work did not end); leaving`);
    deps.forceExit(0);
  }, linger).unref();
}

export const daemonCommand: Command = {
  words: ["daemon"],
  usage: "jetpack daemon [--root DIR] [--zfs DATASET] [--redis URL] [--ca FILE] [--pod-network CIDR] [--bridge NAME] [--listen HOST:PORT --token-file FILE]",
  summary: "run the daemon: the API on <root>/jetpack.sock, the workers and the event log",
  details: [
    "Runs in the foreground until SIGINT or SIGTERM, then stops cleanly (a second signal leaves at once).",
    "  --zfs DATASET  the ZFS dataset for images and pods (needed the first time; remembered in <root>)",
    "  --redis URL    an external Redis (redis://... or a socket path); without it the daemon runs its own",
    "  --ca FILE      extra certificate authorities (PEM) to trust when fetching images and keys",
    "  --discovery-port N  discovery and downloads on port N instead of 443 (a registry on a test port)",
    "  --pod-network CIDR  the pods' addresses (default 172.29.0.0/24; the host takes the first)",
    "  --bridge NAME  the host bridge of the pod network (default jetpack0)",
    "  --metadata-port N  the metadata service's port on the pod network's gateway (default 2375)",
    "  --listen HOST:PORT --token-file FILE  also serve the API on TCP; each request needs",
    "                 `Authorization: Bearer TOKEN` from FILE (`NAME TOKEN` lines, mode 0600); events name the token",
    "                 (clients: JETPACK_API=http://HOST:PORT JETPACK_TOKEN=TOKEN jetpack ...)",
    "Per-host fetch headers (e.g. Authorization) come from <root>/auth.json (mode 0600).",
  ].join("\n"),
  flags: { value: ["zfs", "redis", "ca", "discovery-port", "pod-network", "bridge", "metadata-port", "listen", "token-file"] },
  run: (args, ctx) => runDaemon(args, ctx),
};

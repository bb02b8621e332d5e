import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import { describe, it } from "node:test";
import { parseArgs } from "../../../../api/cli/args.js";
import { daemonCommand, runDaemon, type DaemonRunDeps } from "../../../../api/cli/commands/daemon.js";
import type { DaemonOptions } from "../../../../api/daemon/main.js";
import { FakeClient, testContext } from "./fake-client.js";

function fakeDaemon() {
  const signals = new EventEmitter();
  const log: string[] = [];
  const exits: number[] = [];
  let stopGate: () => void = () => undefined;
  const stopping = new Promise<void>((r) => (stopGate = r));
  const deps: DaemonRunDeps = {
    start: async (opts: DaemonOptions) => {
      log.push(`start ${JSON.stringify({ root: opts.root, zfs: opts.zfs, redis: opts.redis })}`);
      return {
        socket: `${opts.root}/jetpack.sock`,
        stop: async () => {
          log.push("stop");
          await stopping;
        },
      };
    },
    signals,
    forceExit: (code) => void exits.push(code),
    lingerMs: 60_000,
  };
  return { deps, signals, log, exits, releaseStop: () => stopGate() };
}

const tick = () => new Promise((r) => setImmediate(r));

describe("jetpack daemon", () => {
  it("starts the daemon with the root, dataset and Redis given, and stops it on SIGTERM", async () => {
    const f = fakeDaemon();
    const ctx = testContext(new FakeClient({}), { root: "/srv/jp" });
    const running = runDaemon(parseArgs(["--zfs", "tank/jp", "--redis", "redis://127.0.0.1:6400"], daemonCommand.flags), ctx, f.deps);
    await tick();
    assert.deepEqual(f.log, ['start {"root":"/srv/jp","zfs":"tank/jp","redis":"redis://127.0.0.1:6400"}']);
    f.signals.emit("SIGTERM", "SIGTERM");
    f.releaseStop();
    await running;
    assert.deepEqual(f.log.slice(1), ["stop"]);
    assert.match(ctx.stderr.text, /SIGTERM: stopping\n.*stopped\n$/s);
    assert.equal(f.signals.listenerCount("SIGTERM") + f.signals.listenerCount("SIGINT"), 2, "only the leave-at-once listeners are left");
  });

  it("leaves out the dataset and Redis when they are not given", async () => {
    const f = fakeDaemon();
    const running = runDaemon(parseArgs([], daemonCommand.flags), testContext(new FakeClient({})), f.deps);
    await tick();
    assert.deepEqual(f.log, ['start {"root":"/var/lib/jetpack"}']);
    f.signals.emit("SIGINT", "SIGINT");
    f.releaseStop();
    await running;
  });

  it("leaves at once when a second signal comes while it is stopping", async () => {
    const f = fakeDaemon();
    const ctx = testContext(new FakeClient({}));
    const running = runDaemon(parseArgs([], daemonCommand.flags), ctx, f.deps);
    await tick();
    f.signals.emit("SIGINT", "SIGINT");
    await tick();
    f.signals.emit("SIGINT", "SIGINT");
    assert.deepEqual(f.exits, [130]);
    f.releaseStop();
    await running;
  });

  it("makes itself leave when something keeps the process alive after the stop", async () => {
    const f = fakeDaemon();
    f.deps.lingerMs = 10;
    const ctx = testContext(new FakeClient({}));
    const running = runDaemon(parseArgs([], daemonCommand.flags), ctx, f.deps);
    await tick();
    f.signals.emit("SIGTERM", "SIGTERM");
    f.releaseStop();
    await running;
    assert.deepEqual(f.exits, []);
    // This test's own pending work keeps the loop alive past the timer, as a hung job would.
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(f.exits, [0]);
    assert.match(ctx.stderr.text, /still running 10 ms after the stop/);
  });

  it("refuses positional arguments", async () => {
    const f = fakeDaemon();
    await assert.rejects(runDaemon(parseArgs(["now"], daemonCommand.flags), testContext(new FakeClient({})), f.deps), /unexpected argument now/);
    assert.deepEqual(f.log, []);
  });
});

describe("jetpack daemon when the start fails", () => {
  it("passes the error on and stops listening for signals", async () => {
    const f = fakeDaemon();
    f.deps.start = async () => {
      throw new Error("zfs: no such pool");
    };
    await assert.rejects(runDaemon(parseArgs([], daemonCommand.flags), testContext(new FakeClient({})), f.deps), /no such pool/);
    assert.equal(f.signals.listenerCount("SIGTERM") + f.signals.listenerCount("SIGINT"), 0);
  });
});

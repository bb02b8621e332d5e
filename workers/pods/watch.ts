// Watches running pods' supervisors and turns what they report into events: one app ending
// (`pod.app.exited`), every app ending (`pod.exited`, after which the pod's network and cgroups go).
// Effects (the engine, the host).
//
// Actor "system": nobody asked for an app to exit. A supervisor outlives the daemon, so recovery
// attaches a watcher to every pod the log says runs; the first status it gets carries the exits that
// happened while the daemon was down.
import type { Engine } from "../../machines/engine.js";
import { SYSTEM_ACTOR, type PodAppStatus } from "../../machines/events.js";
import type { StoreLayout } from "../images/layout.js";
import { releasePodHost, type PodHost, type SandboxStatus } from "./host.js";
import { podDir } from "./layout.js";

export interface PodWatcherDeps {
  engine: Engine;
  host: PodHost;
  layout: StoreLayout;
  say: (line: string) => void;
}

export class PodWatchers {
  private readonly open = new Map<string, { close(): void }>();

  constructor(private readonly deps: PodWatcherDeps) {}

  /** Effects. Starts watching pod `uuid` (its stream `stream`); a second attach replaces the first. */
  attach(uuid: string, stream: string): void {
    this.detach(uuid);
    const reported = new Set<string>();
    const onStatus = (status: SandboxStatus) => void this.report(uuid, stream, status, reported);
    const onGone = () => void this.gone(uuid, stream);
    this.open.set(uuid, this.deps.host.watch(podDir(this.deps.layout, uuid), onStatus, onGone));
  }

  /** Effects. Stops watching (a stop or destroy job takes over). */
  detach(uuid: string): void {
    this.open.get(uuid)?.close();
    this.open.delete(uuid);
  }

  closeAll(): void {
    for (const uuid of [...this.open.keys()]) this.detach(uuid);
  }

  private async report(uuid: string, stream: string, status: SandboxStatus, reported: Set<string>): Promise<void> {
    try {
      const dispatch = (type: "pod.app.exited", data: PodAppStatus) => this.deps.engine.dispatch({ stream, type, actor: SYSTEM_ACTOR, data });
      if (status.state === "exited") {
        this.detach(uuid);
        await releasePodHost(this.deps.host, uuid);
        await this.deps.engine.dispatch({ stream, type: "pod.exited", actor: SYSTEM_ACTOR, data: { apps: status.apps } });
        return;
      }
      for (const app of status.apps) {
        if (app.state !== "exited" || reported.has(app.name)) continue;
        reported.add(app.name);
        await dispatch("pod.app.exited", app);
      }
    } catch (err) {
      this.deps.say(`pod ${uuid}: could not record its status: ${(err as Error).message}`);
    }
  }

  /** The supervisor went away without saying the pod exited: what its status file last said is the truth. */
  private async gone(uuid: string, stream: string): Promise<void> {
    this.detach(uuid);
    const last = await this.deps.host.status(podDir(this.deps.layout, uuid)).catch(() => null);
    if (last?.state === "exited") return this.report(uuid, stream, last, new Set());
    await this.deps.host.kill(podDir(this.deps.layout, uuid)).catch(() => {});
    await releasePodHost(this.deps.host, uuid).catch(() => {});
    const apps = (last?.apps ?? []).map((a) => (a.state === "exited" ? a : { ...a, state: "exited" as const, reason: a.reason ?? "the pod's supervisor died" }));
    await this.deps.engine
      .dispatch({ stream, type: "pod.found-dead", actor: SYSTEM_ACTOR, data: { reason: "the pod's supervisor is gone", apps } })
      .catch((err: Error) => this.deps.say(`pod ${uuid}: ${err.message}`));
  }
}

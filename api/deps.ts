// What the API needs from the daemon, handed in by the composition root (api/daemon/). The API reads
// projections and appends events through the engine; it never touches ZFS.
import type { Engine } from "../machines/engine.js";
import type { ImagesProjection } from "../machines/projections/images.js";
import type { PodsProjection } from "../machines/projections/pods.js";
import type { OperationsProjection } from "../machines/projections/operations.js";
import type { ProgressBoard } from "../machines/progress.js";

/** A trusted key as the API shows it. */
export interface TrustedKeyView {
  fingerprint: string;
  prefix: string | null;
  userIds: string[];
  created: string;
  expires: string | null;
}

/** The trust store, as the API may use it (the store itself lives with the workers). */
export interface TrustApi {
  add(armored: string, scope: { prefix: string } | { root: true }, opts: { fingerprint?: string }): Promise<TrustedKeyView>;
  list(): Promise<TrustedKeyView[]>;
  remove(fingerprint: string): Promise<number>;
  /** Downloads a key over HTTPS with the daemon's own CA settings. */
  fetchKey(url: string): Promise<string>;
}

/** What the pod routes need from the host side, wired by the daemon. */
export interface PodApi {
  /** The lowest free address of the pod network; throws when the pool is exhausted. */
  pickAddress(taken: ReadonlySet<string>): string;
  /** The file an app's output goes to. */
  logPath(uuid: string, app: string): string;
  /** The command line that runs `argv` in an app of a running pod (the local CLI spawns it). */
  execCommand(uuid: string, app: string, argv: string[]): Promise<{ cmd: string; args: string[]; env: Record<string, string> }>;
}

export interface ApiDeps {
  trust: TrustApi;
  engine: Engine;
  images: () => ImagesProjection;
  operations: () => OperationsProjection;
  pods: () => PodsProjection;
  podApi: PodApi;
  progress: ProgressBoard;
  logPath: string;
  /** Where the stored original ACI of image `id` is (for export). */
  aciPath: (id: string) => string;
  /** Where uploaded ACIs wait for their import (the daemon owns and removes them). */
  uploadDir: string;
  newId: () => string;
  version: string;
}

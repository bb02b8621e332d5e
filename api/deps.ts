// What the API needs from the daemon, handed in by the composition root (api/daemon/). The API reads
// projections and appends events through the engine; it never touches ZFS.
import type { Engine } from "../machines/engine.js";
import type { ImagesProjection } from "../machines/projections/images.js";
import type { OperationsProjection } from "../machines/projections/operations.js";
import type { ProgressBoard } from "../machines/progress.js";

export interface ApiDeps {
  engine: Engine;
  images: () => ImagesProjection;
  operations: () => OperationsProjection;
  progress: ProgressBoard;
  logPath: string;
  /** Where the stored original ACI of image `id` is (for export). */
  aciPath: (id: string) => string;
  /** Where uploaded ACIs wait for their import (the daemon owns and removes them). */
  uploadDir: string;
  newId: () => string;
  version: string;
}

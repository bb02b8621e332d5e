// The backend-neutral plan of a pod: plain data made by a pure planner from the reified pod manifest and
// its images' manifests, rendered by each isolation backend (Linux namespaces, FreeBSD jails) on its own.
// Pure: types only.

/** Where a pod's files live on the host; the planner fills these from the store layout. */
export interface PodPaths {
  /** `<root>/pods/<uuid>`: the pod's directory (manifest, logs, generated host files). */
  dir: string;
  /** The sandbox root: the jail's `path` on FreeBSD, the pivot root on Linux (`<dir>/rootfs`). */
  root: string;
}

export interface RunUser {
  /** As the manifest says it (`root`, `1000`, `/usr/bin/ping`): the backend resolves it in the app's rootfs. */
  user: string;
  group: string;
  supplementaryGids: number[];
}

export interface RunMount {
  /** What is mounted: a host path (host volume) or the pod's own volume directory (empty volume). */
  source: string;
  /** Absolute path inside the app's rootfs. */
  target: string;
  readOnly: boolean;
  /** The volume's name, for messages. */
  volume: string;
  kind: "empty" | "host";
  /** Host volumes default to recursive (rbind) per the spec. */
  recursive: boolean;
}

export interface RunEventHandler {
  name: "pre-start" | "post-stop";
  exec: string[];
}

export interface RunApp {
  /** The pod app name (AC Name): AC_APP_NAME and the metadata paths use it. */
  name: string;
  /** The index of its rootfs clone: dataset `rootfs.<index>`, mounted at `<paths.root>/<index>` (Jetpack's layout). */
  index: number;
  imageId: string;
  imageName: string;
  /** The os label of its image (`linux`, `freebsd`), or null when the image says nothing. */
  os: string | null;
  /** Absolute path of its rootfs on the host. */
  rootfs: string;
  readOnlyRootFS: boolean;
  exec: string[];
  user: RunUser;
  workingDirectory: string;
  /** The complete environment, in order: PATH default, AC_APP_NAME, AC_METADATA_URL, container, then the app's own. */
  environment: Array<{ name: string; value: string }>;
  eventHandlers: RunEventHandler[];
  mounts: RunMount[];
  /** Isolators the backend enforces, and those it only reports (the spec requires saying which). */
  isolators: { enforced: Array<{ name: string; value: unknown }>; ignored: Array<{ name: string; reason: string }> };
}

export interface RunVolume {
  name: string;
  kind: "empty" | "host";
  /** Host volumes: the host path. Empty volumes: the directory the planner assigns under the pod dir. */
  source: string;
  readOnly: boolean;
  /** Empty volumes only: mode (octal string), uid, gid. */
  mode: string | null;
  uid: number | null;
  gid: number | null;
}

export interface PodRunSpec {
  uuid: string;
  /** The pod's hostname: the `hostname` annotation, else the UUID. */
  hostname: string;
  paths: PodPaths;
  /** The pod's address on the pod network, or null for a pod without one. */
  ip: string | null;
  apps: RunApp[];
  volumes: RunVolume[];
  /** Pod annotations, which the jail backend reads for `jetpack/jail.conf/*` and `jetpack/devfs-ruleset`. */
  annotations: Array<{ name: string; value: string }>;
  /** Pod-level resource isolators, already checked. */
  isolators: Array<{ name: string; value: unknown }>;
}

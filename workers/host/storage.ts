// The Storage interface: what Jetpack needs from a copy-on-write dataset store (DESIGN.md §4). Pure types.
//
// Narrow on purpose, like containerd's snapshotter: data in, data out, no backend types leak through.
// Datasets are absolute names (`tank/jetpack/images/x`, snapshots `tank/jetpack/images/x@seal`). Every
// method fails with a JetpackError whose kind says what the caller can do: not_found, already_exists,
// conflict (e.g. dependent clones), invalid (a bad name or property), unavailable (busy, daemon down:
// retry later), permission_denied, internal. The shared suite in test/conformance/storage-suite.ts is
// the contract; every backend runs it.
import type { Readable } from "node:stream";

export type DatasetType = "filesystem" | "snapshot" | "volume";

export interface DatasetInfo {
  name: string;
  type: DatasetType;
  /** Where it is (or would be) mounted; null for `none`, `legacy` and snapshots. */
  mountpoint: string | null;
  mounted: boolean;
  /** The snapshot a clone was made from; null for everything else. */
  origin: string | null;
}

export interface CreateOptions {
  mountpoint?: string;
  /** Native or user (`module:name`) properties, set at creation. */
  properties?: Record<string, string>;
  /** Create missing parents too (`zfs create -p`). */
  parents?: boolean;
}

export interface ListOptions {
  /** Which kinds to list: `filesystem` (the default), `snapshot`, or `all` (volumes too). */
  type?: "filesystem" | "snapshot" | "all";
  /** The whole subtree; otherwise one level down (direct children, or the parent's own snapshots). */
  recursive?: boolean;
}

export interface Storage {
  /** Creates a dataset; fails `already_exists` if the name is taken, `not_found` if its parent is missing. */
  create(name: string, opts?: CreateOptions): Promise<void>;
  /** Snapshots `dataset` as `dataset@snap` and returns that full name. */
  snapshot(dataset: string, snap: string): Promise<string>;
  /** Makes a writable clone of a snapshot. */
  clone(snapshot: string, target: string, opts?: CreateOptions): Promise<void>;
  /** Destroys a dataset or snapshot; absent is fine. Copes with busy mounts by unmounting and retrying. */
  destroy(name: string, opts?: { recursive?: boolean }): Promise<void>;
  /** The datasets under `parent` (never `parent` itself); `[]` when `parent` does not exist. */
  list(parent: string, opts?: ListOptions): Promise<DatasetInfo[]>;
  /** The values of `props` (`""` where unset), or undefined when the dataset does not exist. */
  get(name: string, props: readonly string[]): Promise<Record<string, string> | undefined>;
  set(name: string, props: Record<string, string>): Promise<void>;
  /** Renames a dataset (and its subtree); what was mounted is mounted again afterwards. */
  rename(from: string, to: string): Promise<void>;
  exists(name: string): Promise<boolean>;
  /** Mounts at the dataset's mountpoint; already mounted is fine. */
  mount(name: string): Promise<void>;
  /** Unmounts; not mounted is fine. */
  unmount(name: string): Promise<void>;
  /** A replication stream of one snapshot; the stream errors if the backend fails half-way. */
  send(snapshot: string): Readable;
  /** Creates `name` (with the stream's snapshot) from a stream made by `send`. */
  receive(name: string, input: Readable): Promise<void>;
}

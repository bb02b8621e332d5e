// The catalogue of events: their names, their payloads, and what each means for the operation it belongs
// to. Pure: schemas and tables only.
//
// Every change to an image or a pod is one of these, appended to the log by the engine. Requests come from
// users (through the API), outcomes from workers, reconciliations from recovery (actor "system").
import { z } from "zod";

const ErrorDataSchema = z.object({
  code: z.string(),
  kind: z.enum(["invalid", "not_found", "already_exists", "conflict", "permission_denied", "unavailable", "internal"]),
  message: z.string(),
  hint: z.string().optional(),
  details: z.unknown().optional(),
});

const LabelSchema = z.object({ name: z.string(), value: z.string() });

/** Where an import reads its ACI from: a path on the daemon's host (the CLI runs there, or uploaded it). */
export const ImportSourceSchema = z.object({
  path: z.string().min(1),
  /** The daemon owns the file (an upload): it removes it when the import ends. */
  owned: z.boolean().default(false),
  /** The detached armored signature (`.aci.asc`) to verify the ACI with. */
  signature: z.string().min(1).optional(),
});

/** What `jetpack image fetch` asks for: an image by name and labels, found by discovery. */
export const FetchRequestSchema = z.object({
  name: z.string().min(1),
  labels: z.array(LabelSchema).default([]),
  insecureHttp: z.boolean().default(false),
  insecureTls: z.boolean().default(false),
  /** Trust keys found through ac-discovery-pubkeys over HTTPS without asking. */
  trustKeysFromHttps: z.boolean().default(false),
  /** Trust a discovered key only if it has this fingerprint. */
  fingerprint: z.string().optional(),
  /** Set when this image is fetched as a dependency: the image must have this ID, and at most this size. */
  imageID: z.string().optional(),
  size: z.number().int().positive().optional(),
  /** The stream of the image whose dependency this is; its fetch job does this one's work. */
  parent: z.string().optional(),
});
export type FetchRequest = z.infer<typeof FetchRequestSchema>;

/** Who signed an image, as verified before it was extracted. */
export const SignatureSchema = z.object({ fingerprint: z.string(), userIds: z.array(z.string()), prefix: z.string().nullable() });
export type ImportSource = z.infer<typeof ImportSourceSchema>;

export const ImageImportedSchema = z.object({
  id: z.string(),
  name: z.string(),
  labels: z.array(LabelSchema),
  /** The image manifest as stored (parsed JSON), so readers need no trip to the host. */
  manifest: z.unknown(),
  dependencies: z.array(z.string()),
  compression: z.enum(["none", "gzip", "bzip2", "xz"]),
  /** Size of the ACI as stored (compressed) and of the uncompressed tar. */
  aciBytes: z.number().int().nonnegative(),
  tarBytes: z.number().int().nonnegative(),
  /** The verified signer; null when the image came in with --insecure-options=image. */
  signature: SignatureSchema.nullable().default(null),
  /** Where it came from: a fetch's final URL, or the imported file. */
  origin: z.string().optional(),
});
export type ImageImported = z.infer<typeof ImageImportedSchema>;

/** How one app of a pod ended (or that it runs). */
export const PodAppStatusSchema = z.object({
  name: z.string(),
  state: z.enum(["waiting", "running", "exited"]),
  exitCode: z.number().int().nullable().default(null),
  signal: z.string().nullable().default(null),
  reason: z.string().nullable().default(null),
});
export type PodAppStatus = z.infer<typeof PodAppStatusSchema>;

/** Payload schema of each event type. An event whose type is not here is refused by the engine. */
export const EVENT_DATA = {
  "image.import.requested": z.object({ source: ImportSourceSchema, insecure: z.boolean().default(false) }),
  "image.fetch.requested": z.object({ fetch: FetchRequestSchema, insecure: z.boolean().default(false) }),
  "image.import.started": z.object({ jobSeq: z.number().int() }),
  "image.imported": ImageImportedSchema,
  "image.import.duplicate": z.object({ id: z.string() }),
  "image.import.failed": z.object({ error: ErrorDataSchema }),
  /** Recovery found the import's worker gone (daemon crash): the host was cleaned, the import goes again. */
  "image.import.restarted": z.object({ reason: z.string() }),
  "image.destroy.requested": z.object({}),
  "image.destroy.started": z.object({ jobSeq: z.number().int() }),
  "image.destroyed": z.object({}),
  "image.destroy.failed": z.object({ error: ErrorDataSchema }),
  /** Recovery found the image's dataset gone from the host although the log says it is ready. */
  "image.found-missing": z.object({ reason: z.string() }),
  // Pods. The reified manifest is in the create request, so the log alone says what a pod runs.
  "pod.create.requested": z.object({
    name: z.string().nullable().default(null),
    manifest: z.unknown(),
    /** The pod's leased address, chosen by the engine under its lock (never given twice). */
    ip: z.string().nullable(),
  }),
  /** Something already answered at the leased address: the lease moves on, the old one stays skipped. */
  "pod.address.changed": z.object({ from: z.string(), to: z.string() }),
  "pod.prepare.started": z.object({ jobSeq: z.number().int() }),
  "pod.prepared": z.object({}),
  "pod.prepare.failed": z.object({ error: ErrorDataSchema }),
  "pod.start.requested": z.object({}),
  "pod.start.started": z.object({ jobSeq: z.number().int() }),
  "pod.started": z.object({ apps: z.array(PodAppStatusSchema), isolatorsIgnored: z.array(z.object({ app: z.string().nullable(), name: z.string(), reason: z.string() })).default([]) }),
  "pod.start.failed": z.object({ error: ErrorDataSchema }),
  /** One app ended while others may still run. */
  "pod.app.exited": PodAppStatusSchema,
  /** Every app ended on its own (or was killed outside Jetpack); post-stop handlers ran. */
  "pod.exited": z.object({ apps: z.array(PodAppStatusSchema) }),
  "pod.stop.requested": z.object({ timeoutMs: z.number().int().nonnegative().default(10_000) }),
  "pod.stop.started": z.object({ jobSeq: z.number().int() }),
  "pod.stopped": z.object({ apps: z.array(PodAppStatusSchema) }),
  "pod.stop.failed": z.object({ error: ErrorDataSchema }),
  /** Recovery found a running pod's supervisor gone (host reboot, kill -9 of everything). */
  "pod.found-dead": z.object({ reason: z.string(), apps: z.array(PodAppStatusSchema) }),
  /** Recovery found the pod's job interrupted by a daemon stop: the same step runs again, as a new job. */
  "pod.restarted": z.object({ reason: z.string() }),
  "pod.destroy.requested": z.object({}),
  "pod.destroy.started": z.object({ jobSeq: z.number().int() }),
  "pod.destroyed": z.object({}),
  "pod.destroy.failed": z.object({ error: ErrorDataSchema }),
  "trust.key.added": z.object({ fingerprint: z.string(), prefix: z.string().nullable(), userIds: z.array(z.string()), source: z.string() }),
  "trust.key.removed": z.object({ fingerprint: z.string() }),
} as const;

export type EventType = keyof typeof EVENT_DATA;
export type EventData<T extends EventType> = z.output<(typeof EVENT_DATA)[T]>;
/** What a sender must give: defaults may be left out (the engine fills them in before the record is written). */
export type EventInput<T extends EventType> = z.input<(typeof EVENT_DATA)[T]>;

/** A domain event before the log gives it a place. */
export interface DomainEvent<T extends EventType = EventType> {
  stream: string;
  type: T;
  actor: string;
  op?: string;
  data: EventInput<T>;
}

/** Pure. True when `type` names a known event. */
export function isEventType(type: string): type is EventType {
  return Object.hasOwn(EVENT_DATA, type);
}

export type OperationState = "queued" | "running" | "succeeded" | "failed";

/**
 * What an event means for the operation it carries: the operation's state afterwards. Events missing
 * here (none today) leave the operation as it was.
 */
export const OPERATION_STATE_AFTER: Record<EventType, OperationState> = {
  "image.import.requested": "queued",
  "image.fetch.requested": "queued",
  "image.import.started": "running",
  "image.imported": "succeeded",
  "image.import.duplicate": "succeeded",
  "image.import.failed": "failed",
  "image.import.restarted": "queued",
  "image.destroy.requested": "queued",
  "image.destroy.started": "running",
  "image.destroyed": "succeeded",
  "image.destroy.failed": "failed",
  "image.found-missing": "failed",
  "pod.create.requested": "queued",
  "pod.address.changed": "running",
  "pod.prepare.started": "running",
  "pod.prepared": "succeeded",
  "pod.prepare.failed": "failed",
  "pod.start.requested": "queued",
  "pod.start.started": "running",
  "pod.started": "succeeded",
  "pod.start.failed": "failed",
  "pod.app.exited": "running",
  "pod.exited": "succeeded",
  "pod.stop.requested": "queued",
  "pod.stop.started": "running",
  "pod.stopped": "succeeded",
  "pod.stop.failed": "failed",
  "pod.found-dead": "failed",
  "pod.restarted": "queued",
  "pod.destroy.requested": "queued",
  "pod.destroy.started": "running",
  "pod.destroyed": "succeeded",
  "pod.destroy.failed": "failed",
  "trust.key.added": "succeeded",
  "trust.key.removed": "succeeded",
};

/** The actor of events the daemon makes by itself: recovery, retries, reconciliation. */
export const SYSTEM_ACTOR = "system";

/** Pure. The stream of an image (keyed by its internal UUID: the image ID is known only after import). */
export function imageStream(uuid: string): string {
  return `image/${uuid}`;
}

/** Pure. The stream of a pod. */
export function podStream(uuid: string): string {
  return `pod/${uuid}`;
}

/** Pure. The stream of a trusted key. */
export function trustStream(fingerprint: string): string {
  return `trust/${fingerprint}`;
}

/** Pure. Splits `kind/key` into its parts; undefined when the stream name is malformed. */
export function parseStream(stream: string): { kind: string; key: string } | undefined {
  const i = stream.indexOf("/");
  if (i <= 0 || i === stream.length - 1) return undefined;
  return { kind: stream.slice(0, i), key: stream.slice(i + 1) };
}

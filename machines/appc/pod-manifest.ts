// The pod manifest (appc spec §4): apps, volumes, pod isolators, annotations, ports. Pure.
import { isIP } from "node:net";
import { z } from "zod";
import { parseOrFail } from "../validate.js";
import { AnnotationsSchema } from "./annotations.js";
import { AppSchema, PortSchema, uintField, UserMapSchema } from "./app.js";
import { goQuote } from "./go-text.js";
import { ImageIdSchema } from "./image-id.js";
import { PodIsolatorsSchema } from "./isolators.js";
import { canonicalKeys } from "./json-keys.js";
import { decodeManifestJson } from "./json-text.js";
import { acKindField } from "./kind.js";
import { LabelsSchema } from "./labels.js";
import { acIdentifierField, acNameField } from "./names.js";
import { SemVerSchema } from "./semver.js";

const EMPTY_VOLUME_DEFAULTS = { mode: "0755", uid: 0, gid: 0 } as const;
const INT64_LIMIT = 2 ** 63;

const int64Field = (field: string) =>
  z
    .number({ error: `${field} must be an integer` })
    .int({ error: `${field} must be an integer` })
    .refine((n) => Math.abs(n) < INT64_LIMIT, `${field} must be an integer`);

export type Volume =
  | { name: string; kind: "empty"; readOnly?: boolean; recursive?: boolean; mode: string; uid: number; gid: number }
  | { name: string; kind: "host"; source: string; readOnly?: boolean; recursive?: boolean };

export const VolumeSchema = z.preprocess(
  canonicalKeys(["name", "kind", "source", "readOnly", "recursive", "mode", "uid", "gid"], { keepNull: ["name"] }),
  z
    .object(
      {
        name: acNameField("name"),
        kind: z.string({ error: "kind must be a string" }).default(""),
        source: z.string({ error: "source must be a string" }).default(""),
        // Absent is not the same as false (recursive: the runtime's default), so these stay optional.
        readOnly: z.boolean({ error: "readOnly must be a boolean" }).optional(),
        recursive: z.boolean({ error: "recursive must be a boolean" }).optional(),
        mode: z.string({ error: "mode must be a string" }).optional(),
        uid: int64Field("uid").optional(),
        gid: int64Field("gid").optional(),
      },
      { error: "volume must be an object {name, kind, ...}" },
    )
    .transform((v, ctx): Volume => {
      const flags = { ...(v.readOnly === undefined ? {} : { readOnly: v.readOnly }), ...(v.recursive === undefined ? {} : { recursive: v.recursive }) };
      const problem = (message: string, field: string) => {
        ctx.addIssue({ code: "custom", message, path: [field] });
        return z.NEVER;
      };
      if (v.kind === "empty") {
        if (v.source !== "") return problem("source for empty volume must be empty", "source");
        return { name: v.name, kind: "empty", ...flags, mode: v.mode ?? EMPTY_VOLUME_DEFAULTS.mode, uid: v.uid ?? EMPTY_VOLUME_DEFAULTS.uid, gid: v.gid ?? EMPTY_VOLUME_DEFAULTS.gid };
      }
      if (v.kind === "host") {
        if (v.source === "") return problem("source for host volume cannot be empty", "source");
        for (const field of ["mode", "uid", "gid"] as const) {
          if (v[field] !== undefined) return problem(`${field} for host volume cannot be set`, field);
        }
        if (!v.source.startsWith("/")) return problem("source for host volume must be absolute path", "source");
        return { name: v.name, kind: "host", source: v.source, ...flags };
      }
      return problem('unrecognized volume kind: should be one of "empty", "host"', "kind");
    }),
);

export const MountSchema = z.preprocess(
  canonicalKeys(["volume", "path", "appVolume"], { keepNull: ["volume"] }),
  z.object(
    {
      volume: acNameField("volume"),
      // Go accepts "" here; the runtime decides what an empty target means.
      path: z.string({ error: "path must be a string" }).default(""),
      appVolume: VolumeSchema.optional(),
    },
    { error: "mount must be an object {volume, path, appVolume}" },
  ),
);

export const RuntimeImageSchema = z.preprocess(
  canonicalKeys(["name", "id", "labels"], { keepNull: ["id"] }),
  z.object(
    {
      name: acIdentifierField("name").optional(),
      // Absent in templates; a reified manifest pins every app by id.
      id: ImageIdSchema.optional(),
      labels: LabelsSchema.default([]),
    },
    { error: (issue) => (issue.input === undefined ? "image must be set" : "image must be an object {id, name, labels}") },
  ),
);

function uniqueNames(what: string) {
  return (items: ReadonlyArray<{ name: string }>, ctx: z.RefinementCtx) => {
    const seen = new Set<string>();
    items.forEach((item, i) => {
      if (seen.has(item.name)) ctx.addIssue({ code: "custom", message: `${what} ${goQuote(item.name)}`, path: [i, "name"] });
      seen.add(item.name);
    });
  };
}

export const RuntimeAppSchema = z.preprocess(
  canonicalKeys(["name", "image", "app", "readOnlyRootFS", "mounts", "annotations"], { keepNull: ["name"] }),
  z.object(
    {
      name: acNameField("name"),
      image: RuntimeImageSchema,
      app: AppSchema.optional(),
      readOnlyRootFS: z.boolean({ error: "readOnlyRootFS must be a boolean" }).default(false),
      mounts: z.array(MountSchema, { error: "mounts must be a list of {volume, path}" }).default([]),
      annotations: AnnotationsSchema.default([]),
    },
    { error: "app must be an object {name, image, ...}" },
  ),
);

export const ExposedPortSchema = z.preprocess(
  canonicalKeys(["name", "hostPort", "hostIP", "podPort"], { keepNull: ["name"], unsetValues: { hostIP: "" } }),
  z.object(
    {
      name: acNameField("name"),
      // Go range-checks neither hostPort nor its presence.
      hostPort: uintField("hostPort").default(0),
      hostIP: z
        .string({ error: "hostIP must be a string" })
        .refine((ip) => isIP(ip) !== 0 && !ip.includes("%"), { error: (issue) => `invalid IP address: ${String(issue.input)}` })
        .optional(),
      podPort: PortSchema.optional(),
    },
    { error: "port must be an object {name, hostPort, hostIP, podPort}" },
  ),
);

export const PodManifestSchema = z.preprocess(
  canonicalKeys(["acVersion", "acKind", "apps", "volumes", "isolators", "annotations", "ports", "userAnnotations", "userLabels"], {
    keepNull: ["acVersion", "acKind"],
  }),
  z.object(
    {
      // The Go schema does not require it when reading (only when writing).
      acVersion: SemVerSchema.optional(),
      acKind: acKindField("PodManifest"),
      apps: z.array(RuntimeAppSchema, { error: "apps must be a list" }).superRefine(uniqueNames("duplicate apps of name")).default([]),
      volumes: z.array(VolumeSchema, { error: "volumes must be a list" }).superRefine(uniqueNames("duplicate volume name")).default([]),
      isolators: PodIsolatorsSchema.default([]),
      annotations: AnnotationsSchema.default([]),
      ports: z.array(ExposedPortSchema, { error: "ports must be a list" }).default([]),
      userAnnotations: UserMapSchema.optional(),
      userLabels: UserMapSchema.optional(),
    },
    { error: "a pod manifest must be a JSON object" },
  ),
);

export type PodManifest = z.output<typeof PodManifestSchema>;
export type RuntimeApp = z.output<typeof RuntimeAppSchema>;
export type RuntimeImage = z.output<typeof RuntimeImageSchema>;
export type Mount = z.output<typeof MountSchema>;
export type ExposedPort = z.output<typeof ExposedPortSchema>;

/** Pure. Checks a decoded JSON value as a pod manifest; throws invalid JP_ERR_MANIFEST_INVALID naming the field at fault. */
export function parsePodManifest(json: unknown): PodManifest {
  return parseOrFail(PodManifestSchema, json, "JP_ERR_MANIFEST_INVALID", "pod manifest");
}

/** Pure. Decodes and checks the bytes of a pod manifest. */
export function parsePodManifestBytes(bytes: Buffer): PodManifest {
  return parsePodManifest(decodeManifestJson(bytes, "pod manifest"));
}

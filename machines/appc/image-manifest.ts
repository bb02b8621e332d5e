// The image manifest (appc spec §1.3) and the ways to read one. Pure.
import { z } from "zod";
import { parseOrFail } from "../validate.js";
import { AnnotationsSchema } from "./annotations.js";
import { AppSchema, uintField } from "./app.js";
import { ImageIdSchema } from "./image-id.js";
import { canonicalKeys } from "./json-keys.js";
import { decodeManifestJson } from "./json-text.js";
import { acKindField } from "./kind.js";
import { LabelsSchema } from "./labels.js";
import { acIdentifierField } from "./names.js";
import { SemVerSchema } from "./semver.js";

export const DependencySchema = z.preprocess(
  canonicalKeys(["imageName", "imageID", "labels", "size"], { keepNull: ["imageName"], unsetValues: { size: 0 } }),
  z.object(
    {
      imageName: acIdentifierField("imageName", "imageName cannot be empty"),
      imageID: ImageIdSchema.optional(),
      labels: LabelsSchema.default([]),
      // 0 means "not given", as in Go (`omitempty`).
      size: uintField("size").optional(),
    },
    { error: "dependency must be an object {imageName, imageID, labels, size}" },
  ),
);

export const ImageManifestSchema = z.preprocess(
  canonicalKeys(["acKind", "acVersion", "name", "labels", "app", "annotations", "dependencies", "pathWhitelist"], {
    keepNull: ["acKind", "acVersion", "name"],
  }),
  z.object(
    {
      acKind: acKindField("ImageManifest"),
      acVersion: SemVerSchema,
      name: acIdentifierField("name"),
      labels: LabelsSchema.default([]),
      app: AppSchema.optional(),
      annotations: AnnotationsSchema.default([]),
      dependencies: z.array(DependencySchema, { error: "dependencies must be a list" }).default([]),
      // Not checked by Go (relative entries pass); empty means "keep everything".
      pathWhitelist: z.array(z.string({ error: "pathWhitelist entries must be strings" }), { error: "pathWhitelist must be a list of paths" }).default([]),
    },
    { error: "an image manifest must be a JSON object" },
  ),
);

export type ImageManifest = z.output<typeof ImageManifestSchema>;
export type Dependency = z.output<typeof DependencySchema>;

/** Pure. Checks a decoded JSON value as an image manifest; throws invalid JP_ERR_MANIFEST_INVALID naming the field at fault. */
export function parseImageManifest(json: unknown): ImageManifest {
  return parseOrFail(ImageManifestSchema, json, "JP_ERR_MANIFEST_INVALID", "image manifest");
}

/** Pure. Decodes and checks the bytes of an image's `manifest` file. */
export function parseImageManifestBytes(bytes: Buffer): ImageManifest {
  return parseImageManifest(decodeManifestJson(bytes, "image manifest"));
}

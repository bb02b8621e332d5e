// The appc vocabulary (names, labels, manifests, isolators, image ids) as zod schemas and pure helpers.
export { acIdentifierError, acNameError, isACIdentifier, isACName, ACIdentifierSchema, ACNameSchema } from "./names.js";
export { parseSemVer, semVerError, SemVerSchema, type SemVer } from "./semver.js";
export { imageIdError, parseImageId, isFullImageId, shortImageId, ImageIdSchema } from "./image-id.js";
export { LabelSchema, LabelsSchema, VALID_OS_ARCH, labelValue, formatImageName, type Label } from "./labels.js";
export { AnnotationSchema, AnnotationsSchema, annotationValue, type Annotation } from "./annotations.js";
export { parseQuantity, quantityError, quantityToBytes, quantityToMilli, QuantitySchema, type Quantity, type QuantityFormat } from "./quantity.js";
export { KNOWN_ISOLATORS, ISOLATOR_RULES, isKnownIsolator, type KnownIsolatorName, type IsolatorRule, type IsolatorScope } from "./isolator-values.js";
export {
  IsolatorSchema,
  AppIsolatorsSchema,
  PodIsolatorsSchema,
  checkPodIsolators,
  resourceAmounts,
  type Isolator,
  type PodIsolatorReport,
  type ResourceAmounts,
} from "./isolators.js";
export {
  AppSchema,
  PortSchema,
  MountPointSchema,
  EventHandlerSchema,
  EnvironmentVariableSchema,
  UserMapSchema,
  type App,
  type Port,
  type MountPoint,
  type EventHandler,
  type EnvironmentVariable,
} from "./app.js";
export { ImageManifestSchema, DependencySchema, parseImageManifest, parseImageManifestBytes, type ImageManifest, type Dependency } from "./image-manifest.js";
export {
  PodManifestSchema,
  RuntimeAppSchema,
  RuntimeImageSchema,
  VolumeSchema,
  MountSchema,
  ExposedPortSchema,
  parsePodManifest,
  parsePodManifestBytes,
  type PodManifest,
  type RuntimeApp,
  type RuntimeImage,
  type Volume,
  type Mount,
  type ExposedPort,
} from "./pod-manifest.js";
export { parseAppString } from "./app-string.js";

// The `app` object: how to run an image's app (image manifest) or how a pod overrides it. Pure.
import { z } from "zod";
import { goQuote } from "./go-text.js";
import { AppIsolatorsSchema } from "./isolators.js";
import { canonicalKeys } from "./json-keys.js";
import { acNameField } from "./names.js";

const EVENT_HANDLER_NAMES = ["pre-start", "post-stop"];
const ENV_NAME = /^[A-Za-z_][A-Za-z_0-9.-]*$/;
const UINT_MAX = 2 ** 64 - 1;
const INT64_LIMIT = 2 ** 63;

/** Pure. An unsigned integer field (Go `uint`): negative or fractional numbers are type errors. */
export function uintField(field: string) {
  const message = `${field} must be a non-negative integer`;
  return z.number({ error: message }).int({ error: message }).min(0, { error: message }).max(UINT_MAX, { error: message });
}

const ExecSchema = z.array(z.string({ error: "exec entries must be strings" }), { error: "exec must be a list of strings" });

/** `userAnnotations` and `userLabels`: free-form strings for people, never read by the runtime. */
export const UserMapSchema = z.record(z.string(), z.string({ error: "values must be strings" }).nullable().transform((v) => v ?? ""), {
  error: "must be an object of strings",
});

export const EventHandlerSchema = z.preprocess(
  canonicalKeys(["name", "exec"]),
  z
    .object({ name: z.string({ error: "name must be a string" }).default(""), exec: ExecSchema.optional() }, { error: 'eventHandler "name" cannot be empty' })
    .superRefine((handler, ctx) => {
      if (handler.name === "") ctx.addIssue({ code: "custom", message: 'eventHandler "name" cannot be empty', path: ["name"], continue: false });
      else if (!EVENT_HANDLER_NAMES.includes(handler.name)) ctx.addIssue({ code: "custom", message: `bad eventHandler "name": ${goQuote(handler.name)}`, path: ["name"], continue: false });
    }),
);

export const EnvironmentVariableSchema = z.preprocess(
  canonicalKeys(["name", "value"]),
  z
    .object({ name: z.string({ error: "name must be a string" }).default(""), value: z.string({ error: "value must be a string" }).default("") }, { error: "environment variable name must not be empty" })
    .superRefine((env, ctx) => {
      if (env.name === "") ctx.addIssue({ code: "custom", message: "environment variable name must not be empty", path: ["name"], continue: false });
      else if (!ENV_NAME.test(env.name)) ctx.addIssue({ code: "custom", message: `environment variable does not have valid identifier ${goQuote(env.name)}`, path: ["name"], continue: false });
    }),
);

export const MountPointSchema = z.preprocess(
  canonicalKeys(["name", "path", "readOnly"], { keepNull: ["name"] }),
  z.object(
    {
      name: acNameField("name"),
      // Not checked at parse time by Go (empty and relative paths pass); the runtime resolves it.
      path: z.string({ error: "path must be a string" }).default(""),
      readOnly: z.boolean({ error: "readOnly must be a boolean" }).default(false),
    },
    { error: "mountPoint must be an object {name, path, readOnly}" },
  ),
);

export const PortSchema = z.preprocess(
  canonicalKeys(["name", "protocol", "port", "count", "socketActivated"], { keepNull: ["name"] }),
  z
    .object(
      {
        name: acNameField("name"),
        protocol: z.string({ error: "protocol must be a string" }).default(""),
        port: uintField("port").default(0),
        count: uintField("count").default(0),
        socketActivated: z.boolean({ error: "socketActivated must be a boolean" }).default(false),
      },
      { error: "port must be an object {name, protocol, port, count, socketActivated}" },
    )
    .transform((p, ctx) => {
      if (p.port < 1 || p.port > 65535) ctx.addIssue({ code: "custom", message: "port must be in 1-65535 range", path: ["port"] });
      // Checked before count defaults to 1, as Go does.
      else if (p.port + p.count > 65536) ctx.addIssue({ code: "custom", message: "end of port range must be in 1-65535 range", path: ["count"] });
      return { ...p, count: p.count === 0 ? 1 : p.count };
    }),
);

/** `user` and `group`: absent, null and "" are all "is required", as in Go. */
function requiredNonEmpty(field: string) {
  const missing = `${field} is required`;
  return z
    .string({ error: (issue) => (issue.input === undefined || issue.input === null ? missing : `${field} must be a string`) })
    .refine((s) => s !== "", missing);
}

function uniqueNames<T>(field: string, message: (quotedName: string) => string, nameOf: (item: T) => string) {
  return (items: readonly T[], ctx: z.RefinementCtx) => {
    const seen = new Set<string>();
    items.forEach((item, i) => {
      const name = nameOf(item);
      if (seen.has(name)) ctx.addIssue({ code: "custom", message: message(goQuote(name)), path: [i, field] });
      seen.add(name);
    });
  };
}

const supplementaryGID = z
  .number({ error: "supplementaryGIDs must be integers" })
  .int({ error: "supplementaryGIDs must be integers" })
  .refine((n) => Math.abs(n) < INT64_LIMIT, "supplementaryGIDs must be integers");

export const AppSchema = z.preprocess(
  canonicalKeys([
    "exec",
    "eventHandlers",
    "user",
    "group",
    "supplementaryGIDs",
    "workingDirectory",
    "environment",
    "mountPoints",
    "ports",
    "isolators",
    "userAnnotations",
    "userLabels",
  ], { unsetValues: { workingDirectory: "" } }),
  z.object(
      {
        // Never checked: it may be absent, null or empty (the image is then run with the runtime's choice).
        exec: ExecSchema.optional(),
        eventHandlers: z
          .array(EventHandlerSchema, { error: "eventHandlers must be a list of {name, exec}" })
          .superRefine(uniqueNames("name", (q) => `Only one eventHandler of name ${q} allowed`, (h: EventHandler) => h.name))
          .default([]),
        user: requiredNonEmpty("user"),
        group: requiredNonEmpty("group"),
        supplementaryGIDs: z.array(supplementaryGID, { error: "supplementaryGIDs must be a list of integers" }).default([]),
        workingDirectory: z
          .string({ error: "workingDirectory must be a string" })
          .refine((s) => s.startsWith("/"), "workingDirectory must be an absolute path")
          .optional(),
        environment: z
          .array(EnvironmentVariableSchema, { error: "environment must be a list of {name, value}" })
          .superRefine(uniqueNames("name", (q) => `duplicate environment variable of name ${q}`, (e: EnvironmentVariable) => e.name))
          .default([]),
        mountPoints: z.array(MountPointSchema, { error: "mountPoints must be a list of {name, path, readOnly}" }).default([]),
        ports: z.array(PortSchema, { error: "ports must be a list" }).default([]),
        isolators: AppIsolatorsSchema.default([]),
        userAnnotations: UserMapSchema.optional(),
        userLabels: UserMapSchema.optional(),
      },
      { error: "app must be an object" },
    ),
);

export type App = z.output<typeof AppSchema>;
export type Port = z.output<typeof PortSchema>;
export type MountPoint = z.output<typeof MountPointSchema>;
export type EventHandler = z.output<typeof EventHandlerSchema>;
export type EnvironmentVariable = z.output<typeof EnvironmentVariableSchema>;

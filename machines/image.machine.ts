// The lifecycle of one image, as an XState machine. Pure: a decider, driven through `transition()`.
//
// requested --started--> importing --imported--> ready --destroy.requested--> destroying --destroyed--> destroyed
//     ^                      |  \--duplicate--> duplicate (the same image ID is already in the store)
//     '----restarted---------'  '--failed-----> failed
//
// The machine never runs work itself: states that need host work emit `enqueue` actions, which the
// engine turns into BullMQ jobs after the record is durable. A restored snapshot runs nothing, so the
// machine holds no timers and no actors; retries and timeouts are BullMQ's.
import { assign, setup } from "xstate";
import type { ErrorData } from "./errors.js";
import type { EventData, FetchRequest, ImportSource } from "./events.js";

/** Restarts after a daemon crash before an import is given up as failed. */
export const MAX_IMPORT_RESTARTS = 3;

export interface ImageContext {
  uuid: string;
  source: ImportSource | null;
  /** Set for an image fetched by name (discovery), instead of `source`. */
  fetch: FetchRequest | null;
  insecure: boolean;
  restarts: number;
  /** Known once imported (or found to be a duplicate of). */
  id: string | null;
  name: string | null;
  lastError: ErrorData | null;
}

export type ImageEvent =
  | ({ type: "image.import.requested" } & EventData<"image.import.requested">)
  | ({ type: "image.fetch.requested" } & EventData<"image.fetch.requested">)
  | ({ type: "image.import.started" } & EventData<"image.import.started">)
  | ({ type: "image.imported" } & EventData<"image.imported">)
  | ({ type: "image.import.duplicate" } & EventData<"image.import.duplicate">)
  | ({ type: "image.import.failed" } & EventData<"image.import.failed">)
  | ({ type: "image.import.restarted" } & EventData<"image.import.restarted">)
  | ({ type: "image.destroy.requested" } & EventData<"image.destroy.requested">)
  | ({ type: "image.destroy.started" } & EventData<"image.destroy.started">)
  | ({ type: "image.destroyed" } & EventData<"image.destroyed">)
  | ({ type: "image.destroy.failed" } & EventData<"image.destroy.failed">)
  | ({ type: "image.found-missing" } & EventData<"image.found-missing">);

/** The job an `enqueue` action asks for; the engine adds the stream and the record's seq. */
export interface ImageEnqueueParams {
  queue: "images";
  name: "import" | "fetch" | "destroy";
}

export const imageMachine = setup({
  types: {
    context: {} as ImageContext,
    events: {} as ImageEvent,
    input: {} as { uuid: string },
  },
  actions: {
    takeFetch: assign(({ event }) =>
      event.type === "image.fetch.requested" ? { fetch: event.fetch, insecure: event.insecure } : {},
    ),
    // Collected by the engine from transition()'s action list; never executed.
    enqueue: (_args, _params: ImageEnqueueParams) => {},
  },
  guards: {
    mayRestart: ({ context }) => context.restarts < MAX_IMPORT_RESTARTS,
    // A dependency's work is done by the fetch job of the image that needs it: it asks for no job.
    isDependency: ({ event }) => event.type === "image.fetch.requested" && event.fetch.parent !== undefined,
  },
}).createMachine({
  id: "image",
  initial: "new",
  context: ({ input }) => ({
    uuid: input.uuid,
    source: null,
    fetch: null,
    insecure: false,
    restarts: 0,
    id: null,
    name: null,
    lastError: null,
  }),
  states: {
    new: {
      on: {
        "image.import.requested": {
          target: "requested",
          actions: assign({ source: ({ event }) => event.source, insecure: ({ event }) => event.insecure }),
        },
        "image.fetch.requested": [
          { guard: "isDependency", target: "importing", actions: "takeFetch" },
          { target: "requested", actions: "takeFetch" },
        ],
      },
    },
    requested: {
      entry: { type: "enqueue", params: ({ context }) => ({ queue: "images" as const, name: context.fetch ? ("fetch" as const) : ("import" as const) }) },
      on: {
        "image.import.started": "importing",
        "image.import.failed": { target: "failed", actions: assign({ lastError: ({ event }) => event.error }) },
      },
    },
    importing: {
      on: {
        "image.imported": {
          target: "ready",
          actions: assign({ id: ({ event }) => event.id, name: ({ event }) => event.name, lastError: null }),
        },
        "image.import.duplicate": { target: "duplicate", actions: assign({ id: ({ event }) => event.id }) },
        "image.import.failed": { target: "failed", actions: assign({ lastError: ({ event }) => event.error }) },
        "image.import.restarted": [
          { guard: "mayRestart", target: "requested", actions: assign({ restarts: ({ context }) => context.restarts + 1 }) },
          {
            target: "failed",
            actions: assign({
              lastError: ({ context, event }) => ({
                code: "JP_ERR_IMAGE_IMPORT_ABANDONED",
                kind: "unavailable" as const,
                message: `import abandoned after ${context.restarts} restarts: ${event.reason}`,
                hint: "import the image again; if it keeps failing, look at `jetpack history` for the reason",
              }),
            }),
          },
        ],
      },
    },
    ready: {
      on: {
        "image.destroy.requested": "destroying",
        "image.found-missing": {
          target: "failed",
          actions: assign({
            lastError: ({ event }) => ({ code: "JP_ERR_IMAGE_MISSING", kind: "not_found" as const, message: event.reason }),
          }),
        },
      },
    },
    destroying: {
      entry: { type: "enqueue", params: { queue: "images", name: "destroy" } },
      on: {
        "image.destroy.started": {},
        "image.destroyed": "destroyed",
        "image.destroy.failed": { target: "ready", actions: assign({ lastError: ({ event }) => event.error }) },
      },
    },
    duplicate: { type: "final" },
    failed: { type: "final" },
    destroyed: { type: "final" },
  },
});

export type ImageState = "new" | "requested" | "importing" | "ready" | "destroying" | "duplicate" | "failed" | "destroyed";

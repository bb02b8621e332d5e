// A trusted signing key's life: trusted, removed, trusted again. Pure. It asks for no jobs: the key
// store is written before the event is appended; the event makes the change part of the audit trail.
import { assign, setup } from "xstate";
import type { EventData } from "./events.js";

export interface TrustContext {
  fingerprint: string;
  prefix: string | null;
  userIds: string[];
}

export type TrustEvent = ({ type: "trust.key.added" } & EventData<"trust.key.added">) | ({ type: "trust.key.removed" } & EventData<"trust.key.removed">);

export const trustMachine = setup({
  types: { context: {} as TrustContext, events: {} as TrustEvent, input: {} as { uuid: string } },
  actions: {
    take: assign(({ event }) => (event.type === "trust.key.added" ? { prefix: event.prefix, userIds: event.userIds } : {})),
  },
}).createMachine({
  id: "trust",
  initial: "new",
  context: ({ input }) => ({ fingerprint: input.uuid, prefix: null, userIds: [] }),
  states: {
    new: { on: { "trust.key.added": { target: "trusted", actions: "take" } } },
    trusted: { on: { "trust.key.added": { target: "trusted", actions: "take" }, "trust.key.removed": "removed" } },
    removed: { on: { "trust.key.added": { target: "trusted", actions: "take" } } },
  },
});

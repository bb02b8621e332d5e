// One step of a machine, from a persisted snapshot and an event to the next snapshot and the jobs it asks
// for. Pure: XState's `transition()` runs no actions, so this is a decider and nothing else.
import { initialTransition, transition, type AnyStateMachine } from "xstate";

/** The part of a machine snapshot that the log keeps: enough to restore it exactly. */
export interface PersistedState {
  value: unknown;
  context: Record<string, unknown>;
  status: "active" | "done";
}

/** A job a machine state asks for; the engine adds the stream and the record's seq. */
export interface EnqueueParams {
  queue: string;
  name: string;
}

export interface Decision {
  /** False when the event means nothing in the current state (a late or duplicate outcome, a conflicting request). */
  accepted: boolean;
  state: PersistedState;
  /** Jobs the new state asks for, in the order the machine listed them. */
  jobs: EnqueueParams[];
  /** True when the state value or context changed. */
  changed: boolean;
}

/** Pure. The snapshot a new stream starts from. */
export function initialState(machine: AnyStateMachine, input: unknown): PersistedState {
  const [snapshot] = initialTransition(machine, input);
  return persist(snapshot);
}

/** Pure. Applies `event` to `state`; an event the state does not accept leaves it untouched. */
export function decide(machine: AnyStateMachine, state: PersistedState, event: { type: string } & Record<string, unknown>): Decision {
  const snapshot = machine.resolveState({ value: state.value as never, context: state.context });
  if (!snapshot.can(event as never)) return { accepted: false, state, jobs: [], changed: false };
  const [next, actions] = transition(machine, snapshot, event as never);
  const jobs: EnqueueParams[] = [];
  for (const action of actions as ReadonlyArray<{ type: string; params?: unknown }>) {
    if (action.type === "enqueue") jobs.push(action.params as EnqueueParams);
  }
  const nextState = persist(next);
  const changed = JSON.stringify(nextState) !== JSON.stringify(state);
  return { accepted: true, state: nextState, jobs, changed };
}

function persist(snapshot: { value: unknown; context: unknown; status: string }): PersistedState {
  // A JSON round trip drops anything the log could not store and makes the state independent of XState's objects.
  return JSON.parse(
    JSON.stringify({ value: snapshot.value, context: snapshot.context, status: snapshot.status === "done" ? "done" : "active" }),
  ) as PersistedState;
}

// The event log: the source of truth for intent and history. One writer (EventLog), many readers.
export { canonicalJson } from "./canonical-json.js";
export { GENESIS_HASH, hashRecord, type JobSpec, type LogRecord, type RecordDraft } from "./record.js";
export { EventLog, type EventLogOptions, type TornTailInfo } from "./writer.js";
export type { LogFile } from "./log-file.js";
export { readLog, type ReadLogOptions } from "./reader.js";
export { verifyLog, type VerifyResult } from "./verify.js";
export { replay } from "./replay.js";
export { matchRecord, type RecordFilter } from "./match.js";

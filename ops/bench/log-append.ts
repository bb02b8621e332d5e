// Measures how fast the event log appends durable records: 5,000 appends awaited one by one, then 5,000
// from 100 concurrent callers (where group commit shares each fsync). Prints, asserts nothing.
//
//   npx tsx ops/bench/log-append.ts [dir]     (default: a temp dir; pass a dir on the daemon's disk,
//                                              since fsync on tmpfs costs nothing)
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EventLog, verifyLog, type RecordDraft } from "../../machines/log/index.js";

const TOTAL = 5000;
const CALLERS = 100;

const draft = (i: number): RecordDraft => ({
  stream: `pod/${String(i % 50).padStart(8, "0")}-0000-4000-8000-000000000000`,
  type: "pod.start.requested",
  actor: "root",
  op: `op-${i}`,
  data: { app: "web", attempt: 1 },
  state: { value: "starting", context: { uuid: "x", apps: ["web"] } },
  jobs: [{ queue: "pods", name: "start", id: `pod.${i}-start`, data: { jobSeq: i } }],
});

async function measure(label: string, path: string, run: (log: EventLog) => Promise<void>): Promise<void> {
  const log = await EventLog.open(path);
  const started = process.hrtime.bigint();
  try {
    await run(log);
  } finally {
    await log.close();
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  console.log(`${label.padEnd(34)} ${Math.round(TOTAL / seconds).toString().padStart(8)} records/s  (${TOTAL} records, ${log.fsyncs} fsyncs, ${seconds.toFixed(2)} s)`);
}

const base = process.argv[2] ?? tmpdir();
const dir = await mkdtemp(join(base, "jetpack-log-bench-"));
try {
  console.log(`event log append rate in ${dir}`);
  const sequential = join(dir, "sequential.log");
  await measure("sequential awaits", sequential, async (log) => {
    for (let i = 0; i < TOTAL; i++) await log.append(draft(i));
  });
  const concurrent = join(dir, "concurrent.log");
  await measure(`${CALLERS} concurrent callers`, concurrent, async (log) => {
    let next = 0;
    const caller = async () => {
      while (next < TOTAL) await log.append(draft(next++));
    };
    await Promise.all(Array.from({ length: CALLERS }, caller));
  });
  for (const path of [sequential, concurrent]) {
    const check = await verifyLog(path);
    if (!check.ok || check.records !== TOTAL) console.log(`verify failed for ${path}: ${JSON.stringify(check)}`);
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}

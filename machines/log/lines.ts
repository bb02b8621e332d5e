// Splitting the log file into lines, forwards (readers, verify) and backwards (the writer's tail check),
// holding at most one line and one read chunk in memory.
import { createReadStream } from "node:fs";
import type { FileHandle } from "node:fs/promises";

const NEWLINE = 0x0a;
const CHUNK = 64 * 1024;

export interface Line {
  /** 1-based line number. */
  number: number;
  /** The line's bytes, without its newline. */
  bytes: Buffer;
  /** False only for a last line with no newline after it (a write cut short). */
  terminated: boolean;
}

/** Effects. Streams the lines of the file at `path`, in order. */
export async function* readLines(path: string): AsyncGenerator<Line> {
  let pieces: Buffer[] = [];
  let number = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: CHUNK }) as AsyncIterable<Buffer>) {
    let start = 0;
    for (let end = chunk.indexOf(NEWLINE); end !== -1; end = chunk.indexOf(NEWLINE, start)) {
      const part = chunk.subarray(start, end);
      const bytes = pieces.length === 0 ? part : Buffer.concat([...pieces, part]);
      pieces = [];
      yield { number: ++number, bytes, terminated: true };
      start = end + 1;
    }
    if (start < chunk.length) pieces.push(chunk.subarray(start));
  }
  if (pieces.length > 0) yield { number: ++number, bytes: Buffer.concat(pieces), terminated: false };
}

export interface TailLine {
  /** Byte offset where the line starts: truncating the file here removes it and all after it. */
  start: number;
  /** The line's bytes, without its newline. */
  bytes: Buffer;
  terminated: boolean;
}

/** Effects. Yields the lines of the first `end` bytes of an open file, last line first. */
export async function* readLinesBackward(file: FileHandle, end: number): AsyncGenerator<TailLine> {
  let buf: Buffer = Buffer.alloc(0); // the bytes [bufStart, lineEnd) of the file
  let bufStart = end;
  let lineEnd = end;
  while (lineEnd > 0) {
    const terminated = buf.length > 0 && buf[lineEnd - bufStart - 1] === NEWLINE;
    const searchTo = lineEnd - bufStart - (terminated ? 2 : 1); // skip the line's own newline
    const at = searchTo >= 0 ? buf.lastIndexOf(NEWLINE, searchTo) : -1;
    if (at === -1 && bufStart > 0) {
      const size = Math.min(CHUNK, bufStart);
      const chunk = Buffer.alloc(size);
      await readFully(file, chunk, bufStart - size);
      buf = Buffer.concat([chunk, buf]);
      bufStart -= size;
      continue;
    }
    const start = bufStart + at + 1;
    yield { start, bytes: buf.subarray(start - bufStart, lineEnd - bufStart - (terminated ? 1 : 0)), terminated };
    buf = buf.subarray(0, start - bufStart);
    lineEnd = start;
  }
}

async function readFully(file: FileHandle, into: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < into.length) {
    const { bytesRead } = await file.read(into, done, into.length - done, position + done);
    if (bytesRead === 0) throw new Error(`the file ended early while reading at byte ${position + done}`);
    done += bytesRead;
  }
}

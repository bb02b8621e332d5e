// Follows a growing file (an app's log) as a stream: what is there, then what is appended, until the
// writer is done. Effects (reads the file).
//
// Polling rather than fs.watch: the writer is another process in another mount namespace's view of the
// same file, and inotify on some filesystems (FUSE, overlay) misses appends.
import { open } from "node:fs/promises";
import { Readable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";

export interface TailOptions {
  /** Checked whenever the end of the file is reached; false ends the stream (after one last read). */
  keepGoing: () => boolean;
  pollMs?: number;
}

/** Effects. A stream of the file's bytes that keeps following appends while `keepGoing()` says so. */
export function tailFile(path: string, opts: TailOptions): Readable {
  const pollMs = opts.pollMs ?? 100;
  async function* follow(): AsyncGenerator<Buffer> {
    let position = 0;
    const buffer = Buffer.alloc(64 * 1024);
    let handle = await open(path, "r").catch(() => undefined);
    try {
      for (;;) {
        if (!handle) handle = await open(path, "r").catch(() => undefined);
        const { bytesRead } = handle ? await handle.read(buffer, 0, buffer.length, position) : { bytesRead: 0 };
        if (bytesRead > 0) {
          position += bytesRead;
          yield Buffer.from(buffer.subarray(0, bytesRead));
          continue;
        }
        if (!opts.keepGoing()) {
          // The writer may have written its last bytes between our read and the check.
          const last = handle ? await handle.read(buffer, 0, buffer.length, position) : { bytesRead: 0 };
          if (last.bytesRead > 0) {
            position += last.bytesRead;
            yield Buffer.from(buffer.subarray(0, last.bytesRead));
            continue;
          }
          return;
        }
        await sleep(pollMs);
      }
    } finally {
      await handle?.close();
    }
  }
  return Readable.from(follow(), { objectMode: false });
}

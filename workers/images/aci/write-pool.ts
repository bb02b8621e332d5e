// A bounded set of leaf writes running in the background while the next entries are read. Effects.
//
// Each small file costs several file system round trips (open, write, utimes, close); awaiting them
// one entry at a time leaves the disk and libuv's thread pool idle. Leaves (files, symlinks, links,
// devices) never contain other entries, so several can be written at once; the writer keeps anything
// that depends on a leaf (a hard link to it) waiting for it by name.
export class WritePool {
  private readonly running = new Map<string, Promise<void>>();
  private readonly waiters: Array<() => void> = [];
  private tasks = 0;
  private bytes = 0;
  private failure: { error: unknown } | undefined;

  constructor(
    private readonly maxTasks: number,
    private readonly maxBytes: number,
  ) {}

  /** Waits for room for a task holding `bytes` of memory, then rethrows any earlier failure. */
  async room(bytes: number): Promise<void> {
    while (this.tasks > 0 && (this.tasks >= this.maxTasks || this.bytes + bytes > this.maxBytes)) {
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    this.throwIfFailed();
  }

  /** Runs `task` in the background under `name`; its failure surfaces at the next room() or drain(). */
  start(name: string, bytes: number, task: () => Promise<void>): void {
    this.tasks++;
    this.bytes += bytes;
    const p: Promise<void> = task().then(
      () => this.done(name, p, bytes),
      (error: unknown) => {
        this.failure ??= { error };
        this.done(name, p, bytes);
      },
    );
    this.running.set(name, p);
  }

  /** Waits for the task writing `name`, if one is running (its outcome surfaces as usual). */
  async waitFor(name: string): Promise<void> {
    await this.running.get(name);
    this.throwIfFailed();
  }

  /** Waits for every task; throws the first failure. */
  async drain(): Promise<void> {
    await this.settle();
    this.throwIfFailed();
  }

  /** Waits for every task, ignoring failures (cleanup after an error elsewhere). */
  async settle(): Promise<void> {
    while (this.running.size > 0) await Promise.all(this.running.values());
  }

  private done(name: string, p: Promise<void>, bytes: number): void {
    this.tasks--;
    this.bytes -= bytes;
    if (this.running.get(name) === p) this.running.delete(name);
    this.waiters.shift()?.();
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure.error;
  }
}

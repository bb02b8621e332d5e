// Quoting for the POSIX shell scripts the Linux backend renders. Pure.

/** Pure. `value` as one single-quoted shell word: safe for spaces, quotes, `$`, backslashes and newlines. */
export function shellQuote(value: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(value)) return value;
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** Pure. A command line of quoted words. */
export function shellCommand(argv: readonly string[]): string {
  return argv.map(shellQuote).join(" ");
}

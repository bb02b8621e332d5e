// How the CLI shows things to people: aligned tables, sizes, times, image IDs and names. Pure.

/** Pure. Rows under a header, each column as wide as its widest cell, two spaces apart; no trailing blanks. */
export function formatTable(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const all = [header, ...rows];
  const widths = header.map((_, col) => Math.max(...all.map((r) => (r[col] ?? "").length)));
  const line = (r: readonly string[]) =>
    r
      .map((cell, col) => (col === r.length - 1 ? cell : cell.padEnd(widths[col] ?? 0)))
      .join("  ")
      .trimEnd();
  return `${all.map(line).join("\n")}\n`;
}

/** Pure. `key  value` lines with the keys aligned (for `show`). */
export function formatFields(fields: ReadonlyArray<readonly [string, string]>): string {
  const width = Math.max(0, ...fields.map(([k]) => k.length));
  return fields.map(([k, v]) => `${`${k}:`.padEnd(width + 1)}  ${v}`.trimEnd()).join("\n") + "\n";
}

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];

/** Pure. Bytes in binary units, three significant digits: `512 B`, `1.5 KiB`, `12.3 MiB`, `456 GiB`. */
export function humanBytes(n: number): string {
  let value = n;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  if (unit === 0) return `${value} B`;
  const shown = value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2);
  return `${shown} ${UNITS[unit]}`;
}

/** Pure. Seconds as `45s`, `3m05s`, `2h07m`, `3d04h`. */
export function humanDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
  return `${Math.floor(s / 86400)}d${String(Math.floor((s % 86400) / 3600)).padStart(2, "0")}h`;
}

/** Pure. An instant in local time, to the second: `2024-05-01 12:03:04`; unparseable input is shown as is. */
export function localTime(iso: string | Date): string {
  const d = typeof iso === "string" ? new Date(iso) : iso;
  if (Number.isNaN(d.getTime())) return String(iso);
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** Hex digits of an image ID shown in listings: enough to tell images apart and to type back. */
export const SHORT_ID_HEX = 12;

/** Pure. `sha512-` and the first 12 hex digits, or the whole ID when `long`. */
export function displayImageId(id: string, long = false): string {
  if (long || !id.startsWith("sha512-")) return id;
  return id.slice(0, "sha512-".length + SHORT_ID_HEX);
}

/**
 * Pure. An image's name as Jetpack prints it: `name:version,arch=amd64,os=linux` (the version after a
 * colon, the other labels sorted). The same text as machines/appc formatImageName, which a unit test
 * holds it to; kept here because that module loads zod, and zod alone would double the CLI's start time.
 */
export function imageNameWithLabels(name: string, labels: ReadonlyArray<{ name: string; value: string }>): string {
  const version = labels.find((l) => l.name === "version");
  const rest = labels
    .filter((l) => l.name !== "version")
    .map((l) => `,${l.name}=${l.value}`)
    .sort();
  return `${name}${version ? `:${version.value}` : ""}${rest.join("")}`;
}

/** Pure. A stream name short enough for a timeline: `image/0b1c2d3e` (kind and the first 8 characters of the key). */
export function shortStream(stream: string): string {
  const i = stream.indexOf("/");
  return i === -1 ? stream : `${stream.slice(0, i)}/${stream.slice(i + 1, i + 9)}`;
}

/** Pure. Any answer as `--json` prints it: the raw API JSON, indented, with a newline. */
export function jsonText(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/** Pure. How an app of a pod stands, in a few words: `web running`, `web exited 3`, `web killed (SIGKILL)`. */
export function appStateText(a: { name: string; state: string; exitCode: number | null; signal: string | null }): string {
  if (a.state !== "exited") return `${a.name} ${a.state}`;
  if (a.signal) return `${a.name} killed (${a.signal})`;
  return `${a.name} exited${a.exitCode === null ? "" : ` ${a.exitCode}`}`;
}

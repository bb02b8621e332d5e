// App strings: how users name an image, `NAME[:VERSION][,LABEL=VALUE...]`, read as the Go discovery
// code reads them (`discovery.NewAppFromString`): the colon becomes `version=`, each value is
// URL-escaped and the whole is parsed as a query string. Pure.
import { fail } from "../errors.js";
import { goQuote, goQuoteList } from "./go-text.js";
import type { Label } from "./labels.js";
import { acIdentifierError } from "./names.js";

const UNRESERVED = /[A-Za-z0-9_.~-]/;

/** Go's url.QueryEscape. */
function queryEscape(value: string): string {
  let out = "";
  for (const byte of Buffer.from(value, "utf8")) {
    const c = String.fromCharCode(byte);
    if (UNRESERVED.test(c)) out += c;
    else if (c === " ") out += "+";
    else out += `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

/** Go's url.QueryUnescape: `+` is a space, `%` must start two hex digits. */
function queryUnescape(s: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s[i] ?? "";
    if (c === "%") {
      const hex = s.slice(i + 1, i + 3);
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) throw new Error(`invalid URL escape ${goQuote(s.slice(i, i + 3))}`);
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else if (c === "+") bytes.push(0x20);
    else bytes.push(...Buffer.from(c, "utf8"));
  }
  return Buffer.from(bytes).toString("utf8");
}

/** Go's url.ParseQuery: keeps going after a bad pair, reports the first error. Keys keep their order. */
function parseQuery(query: string): { values: Map<string, string[]>; error?: string } {
  const values = new Map<string, string[]>();
  let error: string | undefined;
  for (const pair of query.split("&")) {
    if (pair.includes(";")) {
      error ??= "invalid semicolon separator in query";
      continue;
    }
    if (pair === "") continue;
    const eq = pair.indexOf("=");
    try {
      const key = queryUnescape(eq < 0 ? pair : pair.slice(0, eq));
      const value = queryUnescape(eq < 0 ? "" : pair.slice(eq + 1));
      values.set(key, [...(values.get(key) ?? []), value]);
    } catch (err) {
      error ??= err instanceof Error ? err.message : String(err);
    }
  }
  return error === undefined ? { values } : { values, error };
}

function appStringError(s: string): { name: string; labels: Label[] } | { error: string } {
  const firstComma = s.indexOf(",");
  const firstColon = s.indexOf(":");
  if (firstColon > firstComma && firstComma > -1) return { error: "malformed app string - colon may appear only right after the app name" };
  if (s.split(":").length > 2) return { error: "malformed app string - colon may appear at most once" };

  const prepared = `name=${s.replace(":", ",version=")}`;
  const escaped: string[] = [];
  for (const part of prepared.split(",")) {
    const eq = part.indexOf("=");
    if (eq < 0) return { error: `malformed string ${goQuote(prepared)} - has a label without a value: ${part}` };
    escaped.push(`${part.slice(0, eq)}=${queryEscape(part.slice(eq + 1))}`);
  }
  const { values, error } = parseQuery(escaped.join("&"));
  if (error !== undefined) return { error };

  let name = "";
  const labels: Label[] = [];
  for (const [key, list] of values) {
    if (list.length > 1) return { error: `label ${key} with multiple values ${goQuoteList(list)}` };
    const value = list[0] ?? "";
    if (key === "name") {
      name = value;
      continue;
    }
    const keyError = acIdentifierError(key);
    if (keyError !== undefined) return { error: `label ${goQuote(key)}: ${keyError}` };
    labels.push({ name: key, value });
  }
  const nameError = acIdentifierError(name);
  if (nameError !== undefined) return { error: `name ${goQuote(name)}: ${nameError}` };
  return { name, labels };
}

/**
 * Pure. Splits `NAME[:VERSION][,LABEL=VALUE...]` into an image name and labels (in the order written;
 * the version first when given after the colon). Throws invalid JP_ERR_APP_STRING when the name is not
 * an AC Identifier, a label repeats (`:1,version=2` included) or the syntax is broken.
 */
export function parseAppString(s: string): { name: string; labels: Label[] } {
  const result = appStringError(s);
  if ("error" in result) {
    throw fail("invalid", "JP_ERR_APP_STRING", `invalid image name ${goQuote(s)}: ${result.error}`, {
      hint: "Write NAME[:VERSION][,LABEL=VALUE...], for example example.com/app:1.0.0,os=linux.",
    });
  }
  return result;
}

// Canonical JSON: one spelling for one value, so that a hash over it is stable across writers and readers.
//
// Keys are sorted recursively (by UTF-16 code units, JavaScript's default order), there is no whitespace,
// and everything JSON.stringify would drop or change is dropped or changed the same way (undefined fields
// omitted, undefined in arrays -> null, non-finite numbers -> null, toJSON honoured). That makes
// `canonicalJson(JSON.parse(canonicalJson(v))) === canonicalJson(v)` hold for every value it accepts, which
// is what lets a reader recompute the hash of a record it parsed from disk.
import { fail } from "../errors.js";

/** Pure. The canonical JSON text of `value`; throws `invalid` for BigInt, cycles and values JSON cannot hold. */
export function canonicalJson(value: unknown): string {
  const text = encode(value, []);
  if (text === undefined) {
    throw fail("invalid", "JP_ERR_LOG_NOT_JSON", `a ${typeof value} cannot be written as JSON`, {
      hint: "Pass plain data (objects, arrays, strings, numbers, booleans, null).",
    });
  }
  return text;
}

// Returns undefined for the values JSON.stringify omits (undefined, functions, symbols). `ancestors` is
// the path from the root, to tell a cycle from an object that is merely shared.
function encode(value: unknown, ancestors: object[]): string | undefined {
  switch (typeof value) {
    case "string":
      return JSON.stringify(value);
    case "number":
      return Number.isFinite(value) ? String(value) : "null";
    case "boolean":
      return value ? "true" : "false";
    case "bigint":
      throw fail("invalid", "JP_ERR_LOG_NOT_JSON", `the BigInt ${value} cannot be written as JSON`, {
        hint: "Write large integers as strings.",
      });
    case "undefined":
    case "function":
    case "symbol":
      return undefined;
  }
  if (value === null) return "null";
  const obj = value as object;
  const toJSON = (obj as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === "function") return encode(toJSON.call(obj), ancestors);
  if (obj instanceof Number || obj instanceof String || obj instanceof Boolean) return encode(obj.valueOf(), ancestors);
  if (ancestors.includes(obj)) {
    throw fail("invalid", "JP_ERR_LOG_NOT_JSON", "a value refers to itself (a cycle) and cannot be written as JSON");
  }
  ancestors.push(obj);
  let out: string;
  if (Array.isArray(obj)) {
    out = "[";
    for (let i = 0; i < obj.length; i++) out += (i === 0 ? "" : ",") + (encode(obj[i], ancestors) ?? "null");
    out += "]";
  } else {
    out = "{";
    for (const key of Object.keys(obj).sort()) {
      const text = encode((obj as Record<string, unknown>)[key], ancestors);
      if (text !== undefined) out += (out.length === 1 ? "" : ",") + JSON.stringify(key) + ":" + text;
    }
    out += "}";
  }
  ancestors.pop();
  return out;
}

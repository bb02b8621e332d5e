// Decoding manifest bytes into JSON, with errors that point at the spot. Pure.
import { fail } from "../errors.js";

/** Pure. Decodes UTF-8 JSON text, throwing invalid JP_ERR_MANIFEST_INVALID with the line and column of a syntax error. */
export function decodeManifestJson(bytes: Buffer, what: string): unknown {
  const text = bytes.toString("utf8");
  try {
    return JSON.parse(text);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    const position = /position (\d+)/.exec(reason);
    let where = "";
    if (position) {
      const before = text.slice(0, Number(position[1]));
      const line = before.split("\n").length;
      const column = before.length - before.lastIndexOf("\n");
      where = ` at line ${line}, column ${column}`;
    }
    throw fail("invalid", "JP_ERR_MANIFEST_INVALID", `invalid ${what}: not valid JSON${where}: ${reason}`, {
      hint: "The manifest must be a UTF-8 JSON object.",
      cause: err,
    });
  }
}

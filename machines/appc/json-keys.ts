// Go's encoding/json matches object keys to struct fields case-insensitively, and a JSON null leaves
// most fields untouched. These helpers give a zod schema the same view of its input before it checks it.
// Pure.

/**
 * Folds a key the way Go compares field names (bytes.EqualFold): ASCII case plus the two non-ASCII
 * characters that fold onto ASCII letters, KELVIN SIGN (K) and LATIN SMALL LETTER LONG S (s).
 */
function foldKey(key: string): string {
  return key.replace(/\u212a/g, "k").replace(/\u017f/g, "s").toLowerCase();
}

export interface CanonicalKeysOptions {
  /**
   * Fields whose JSON null must stay null so the schema can reject it: Go hands null to the field's
   * own decoder for these (AC names, hashes, versions), which refuses it. Every other null means "absent".
   */
  keepNull?: readonly string[];
  /** Values that Go treats as "not set" for a field (`omitempty`), dropped so that one spelling remains. */
  unsetValues?: Readonly<Record<string, unknown>>;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Pure. Returns a zod preprocess step for an object with the given fields: each key that folds to a
 * field's name is renamed to it (a later key wins, as in Go), unknown keys are dropped, and a null
 * leaves the field untouched unless the field is listed in `keepNull`, and a value listed in
 * `unsetValues` removes the field. Anything that is not an object passes through, so
 * the schema reports it.
 */
export function canonicalKeys(fields: readonly string[], options: CanonicalKeysOptions = {}): (input: unknown) => unknown {
  const byFolded = new Map(fields.map((f) => [foldKey(f), f]));
  const keepNull = new Set(options.keepNull ?? []);
  const unset = options.unsetValues ?? {};
  return (input) => {
    if (!isPlainObject(input)) return input;
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(input)) {
      const field = byFolded.get(foldKey(key));
      if (field === undefined) continue;
      if (value === null && !keepNull.has(field)) continue;
      if (Object.hasOwn(unset, field) && unset[field] === value) {
        delete out[field];
        continue;
      }
      out[field] = value;
    }
    return out;
  };
}

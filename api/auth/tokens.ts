// Bearer tokens for the API's TCP listener. Pure: the daemon reads the file and hands its text here.
//
// A token file has one `NAME TOKEN` per line; blank lines and lines starting with `#` are ignored. NAME is
// who the token stands for in the audit trail, so it follows the same alphabet as the local actor header.
import { createHash, timingSafeEqual } from "node:crypto";
import { fail } from "../../machines/errors.js";

/** Shorter tokens can be guessed: 32 characters of base64 or hex carry 128 bits or more. */
export const MIN_TOKEN_LENGTH = 32;

const NAME = /^[\w.@-]{1,64}$/;
const TOKEN = /^[\x21-\x7e]+$/;

interface Entry {
  name: string;
  /** SHA-256 of the token: equal lengths for timingSafeEqual, and no plain secret kept in memory. */
  digest: Buffer;
}

/** Who holds which token; answers `nameOf(token)` without timing hints about any token. */
export class TokenTable {
  private constructor(private readonly entries: readonly Entry[]) {}

  /** Pure. A table from `[name, token]` pairs (already checked by parseTokenFile). */
  static of(pairs: ReadonlyArray<readonly [string, string]>): TokenTable {
    return new TokenTable(pairs.map(([name, token]) => ({ name, digest: digestOf(token) })));
  }

  get size(): number {
    return this.entries.length;
  }

  get names(): string[] {
    return this.entries.map((e) => e.name);
  }

  /**
   * Pure. The name the token belongs to, or undefined. Every entry is compared, in constant time, even
   * after a match, so how long the answer takes says nothing about which token came close.
   */
  nameOf(token: string): string | undefined {
    const digest = digestOf(token);
    let found: string | undefined;
    for (const e of this.entries) {
      if (timingSafeEqual(e.digest, digest) && found === undefined) found = e.name;
    }
    return found;
  }
}

function digestOf(token: string): Buffer {
  return createHash("sha256").update(token, "utf8").digest();
}

/**
 * Pure. Reads the text of a token file named `file` (for messages). Refuses, naming the line: a line that is
 * not `NAME TOKEN`, a bad name, a token shorter than MIN_TOKEN_LENGTH, a token given twice. A file with
 * no token at all is refused too: a TCP listener nobody can use is a mistake, not a choice.
 */
export function parseTokenFile(text: string, file: string): TokenTable {
  const pairs: Array<[string, string]> = [];
  const seen = new Map<string, number>();
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    const line = raw.trim();
    const at = `${file}:${i + 1}`;
    if (line === "" || line.startsWith("#")) return;
    const fields = line.split(/\s+/);
    if (fields.length !== 2) throw fail("invalid", "JP_ERR_AUTH_TOKEN_FILE", `${at}: expected NAME TOKEN, found ${fields.length} fields`, { hint: "write one `NAME TOKEN` per line; # starts a comment" });
    const [name, token] = fields as [string, string];
    if (!NAME.test(name)) throw fail("invalid", "JP_ERR_AUTH_TOKEN_FILE", `${at}: ${JSON.stringify(name)} is not a valid name (letters, digits, _ . @ -, at most 64)`);
    if (!TOKEN.test(token)) throw fail("invalid", "JP_ERR_AUTH_TOKEN_FILE", `${at}: the token of ${name} has characters outside printable ASCII`);
    if (token.length < MIN_TOKEN_LENGTH) {
      throw fail("invalid", "JP_ERR_AUTH_TOKEN_SHORT", `${at}: the token of ${name} has ${token.length} characters; at least ${MIN_TOKEN_LENGTH} are needed`, {
        hint: "make one with `openssl rand -hex 32`",
      });
    }
    const earlier = seen.get(token);
    if (earlier !== undefined) throw fail("invalid", "JP_ERR_AUTH_TOKEN_FILE", `${at}: the token of ${name} is the same as the one on line ${earlier}`, { hint: "give each name its own token" });
    seen.set(token, i + 1);
    pairs.push([name, token]);
  });
  if (pairs.length === 0) throw fail("invalid", "JP_ERR_AUTH_TOKEN_FILE", `${file} has no tokens`, { hint: "add a line `NAME TOKEN` (make a token with `openssl rand -hex 32`)" });
  return TokenTable.of(pairs);
}

/** Pure. The token of an `Authorization: Bearer <token>` header, or undefined for anything else. */
export function bearerToken(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  const m = value?.match(/^Bearer[ \t]+(\S+)[ \t]*$/i);
  return m?.[1];
}

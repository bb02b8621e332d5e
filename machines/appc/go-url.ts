// The `homepage` and `documentation` annotations: a URL as Go's net/url.Parse accepts it, with an http
// or https scheme. Only the checks that can make Parse fail are kept here. Pure.
import { goQuote } from "./go-text.js";

const HEX = /^[0-9a-fA-F]{2}$/;
// Characters a host may hold besides letters, digits and %-escapes (Go's shouldEscape in host mode).
const HOST_EXTRA = new Set("-_.~!$&'()*+,;=:[]<>\"");
const USERINFO_EXTRA = new Set("-._:~!$&'()*+,;=%@");

type Mode = "host" | "other";

/** Go's unescape: every `%` must start a two-digit hex escape; hosts allow only a restricted set. */
function unescapeError(s: string, mode: Mode): string | undefined {
  for (let i = 0; i < s.length; i++) {
    const c = s[i] ?? "";
    if (c === "%") {
      const hex = s.slice(i + 1, i + 3);
      if (!HEX.test(hex)) return `invalid URL escape ${goQuote(s.slice(i, i + 3))}`;
      // In a host, %-escapes are only for non-ASCII bytes, and %25 (a zone's percent sign).
      if (mode === "host" && parseInt(hex[0] ?? "0", 16) < 8 && hex !== "25") return `invalid URL escape ${goQuote(s.slice(i, i + 3))}`;
      i += 2;
    } else if (mode === "host" && c.charCodeAt(0) < 0x80 && !/[A-Za-z0-9]/.test(c) && !HOST_EXTRA.has(c)) {
      return `invalid character ${goQuote(c)} in host name`;
    }
  }
  return undefined;
}

function validOptionalPort(port: string): boolean {
  return port === "" || /^:[0-9]*$/.test(port);
}

function hostError(host: string): string | undefined {
  if (host.startsWith("[")) {
    const close = host.lastIndexOf("]");
    if (close < 0) return "missing ']' in host";
    const port = host.slice(close + 1);
    if (!validOptionalPort(port)) return `invalid port ${goQuote(port)} after host`;
  } else {
    const colon = host.lastIndexOf(":");
    if (colon >= 0 && !validOptionalPort(host.slice(colon))) return `invalid port ${goQuote(host.slice(colon))} after host`;
  }
  return unescapeError(host, "host");
}

function authorityError(authority: string): string | undefined {
  const at = authority.lastIndexOf("@");
  const hostProblem = hostError(authority.slice(at + 1));
  if (hostProblem !== undefined) return hostProblem;
  if (at < 0) return undefined;
  const userinfo = authority.slice(0, at);
  for (const c of userinfo) {
    if (!/[A-Za-z0-9]/.test(c) && !USERINFO_EXTRA.has(c)) return "net/url: invalid userinfo";
  }
  const colon = userinfo.indexOf(":");
  const parts = colon < 0 ? [userinfo] : [userinfo.slice(0, colon), userinfo.slice(colon + 1)];
  for (const part of parts) {
    const problem = unescapeError(part, "other");
    if (problem !== undefined) return problem;
  }
  return undefined;
}

/** Go's parse (without the fragment): returns the lower-cased scheme or an error text. */
function parseWithoutFragment(raw: string): { scheme: string } | { error: string } {
  if (/[\x00-\x1f\x7f]/.test(raw)) return { error: "net/url: invalid control character in URL" };
  let scheme = "";
  let rest = raw;
  const schemeMatch = /^[A-Za-z][A-Za-z0-9+.-]*:/.exec(raw);
  if (raw.startsWith(":")) return { error: "missing protocol scheme" };
  if (schemeMatch) {
    scheme = schemeMatch[0].slice(0, -1).toLowerCase();
    rest = raw.slice(schemeMatch[0].length);
  }
  if (rest.endsWith("?") && rest.split("?").length === 2) rest = rest.slice(0, -1);
  else rest = rest.split("?")[0] ?? "";
  if (!rest.startsWith("/")) {
    if (scheme !== "") return { scheme }; // opaque: not checked further
    if ((rest.split("/")[0] ?? "").includes(":")) return { error: "first path segment in URL cannot contain colon" };
  }
  if (rest.startsWith("//") && (scheme !== "" || !rest.startsWith("///"))) {
    const authority = rest.slice(2);
    const slash = authority.indexOf("/");
    const problem = authorityError(slash < 0 ? authority : authority.slice(0, slash));
    if (problem !== undefined) return { error: problem };
    rest = slash < 0 ? "" : authority.slice(slash);
  }
  const pathProblem = unescapeError(rest, "other");
  return pathProblem === undefined ? { scheme } : { error: pathProblem };
}

/** Pure. Why `s` is not an http(s) URL in Go's sense, worded as the Go schema does, or undefined. */
export function goHttpUrlError(s: string): string | undefined {
  const hash = s.indexOf("#");
  const main = hash < 0 ? s : s.slice(0, hash);
  const parsed = parseWithoutFragment(main);
  if ("error" in parsed) return `bad URL: parse ${goQuote(main)}: ${parsed.error}`;
  if (hash >= 0) {
    const problem = unescapeError(s.slice(hash + 1), "other");
    if (problem !== undefined) return `bad URL: parse ${goQuote(s)}: ${problem}`;
  }
  if (parsed.scheme !== "http" && parsed.scheme !== "https") return "bad URL scheme, must be http/https";
  return undefined;
}

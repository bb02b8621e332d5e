// Resource quantities (`500m`, `1.5Gi`, `1e3`) as the Go schema's `resource` package (from Kubernetes)
// reads them: its hand-written tokenizer decides what is accepted, which is laxer than its own regex
// (`.`, `+` and `e3` all parse, as zero). Upper-case `K` is not a suffix. Pure.
import { z } from "zod";
import { fail } from "../errors.js";
import { goQuote } from "./go-text.js";

export type QuantityFormat = "DecimalSI" | "BinarySI" | "DecimalExponent";

export interface Quantity {
  /** The text as written. */
  text: string;
  format: QuantityFormat;
  /** The value in units of 10^-9, rounded away from zero as Go rounds (so `0.1n` is 1). */
  nanos: bigint;
  /** The value in units of 10^-3, rounded up (Go's MilliValue): CPU in millicores. */
  milli: bigint;
}

const FORMAT_WRONG = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
const SUFFIX_WRONG = "unable to parse quantity's suffix";
const SUFFIX_CHARS = "eEinumkKMGTP";
const INT64_MAX = 2n ** 63n - 1n;
const NANOS_PER_UNIT = 10n ** 9n;
/** Past this many units a value saturates: nothing a host can enforce is that large. */
const MAX_NANOS = INT64_MAX * NANOS_PER_UNIT;

const DECIMAL: Record<string, number> = { "": 0, n: -9, u: -6, m: -3, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const BINARY: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };

interface Tokens {
  positive: boolean;
  num: string;
  denom: string;
  suffix: string;
}

function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= "0" && c <= "9";
}

/** The tokenizer of Go's parseQuantityString: sign, leading zeros, digits, `.digits`, then a suffix. */
function tokenize(s: string): Tokens | undefined {
  let pos = 0;
  let positive = true;
  if (s[0] === "-" || s[0] === "+") {
    positive = s[0] === "+";
    pos = 1;
  }
  while (s[pos] === "0") pos++;
  const numStart = pos;
  while (isDigit(s[pos])) pos++;
  const num = s.slice(numStart, pos) || "0";
  let denom = "";
  if (s[pos] === ".") {
    const denomStart = ++pos;
    while (isDigit(s[pos])) pos++;
    denom = s.slice(denomStart, pos);
  }
  const suffixStart = pos;
  while (pos < s.length && SUFFIX_CHARS.includes(s[pos] ?? "")) pos++;
  if (s[pos] === "-" || s[pos] === "+") pos++;
  while (isDigit(s[pos])) pos++;
  if (pos < s.length) return undefined;
  return { positive, num, denom, suffix: s.slice(suffixStart) };
}

function interpretSuffix(suffix: string): { base: 10 | 2; exponent: number; format: QuantityFormat } | undefined {
  const decimal = DECIMAL[suffix];
  if (decimal !== undefined) return { base: 10, exponent: decimal, format: "DecimalSI" };
  const binary = BINARY[suffix];
  if (binary !== undefined) return { base: 2, exponent: binary, format: "BinarySI" };
  if (suffix.length > 1 && (suffix[0] === "e" || suffix[0] === "E") && /^[+-]?[0-9]+$/.test(suffix.slice(1))) {
    const exponent = BigInt(suffix.slice(1));
    if (exponent > INT64_MAX || exponent < -INT64_MAX - 1n) return undefined;
    return { base: 10, exponent: Number(exponent), format: "DecimalExponent" };
  }
  return undefined;
}

function ceilDiv(n: bigint, d: bigint): bigint {
  return (n + d - 1n) / d;
}

/** |value| in nanos for mantissa digits `digits` with `decimals` of them after the point. */
function magnitudeNanos(digits: bigint, decimals: number, base: 10 | 2, exponent: number): bigint {
  if (digits === 0n) return 0n;
  const log10 = digits.toString().length - decimals + (base === 10 ? exponent : Math.ceil(exponent * 0.302));
  if (log10 > 30) return MAX_NANOS;
  if (log10 < -30) return 1n;
  let numerator = digits * NANOS_PER_UNIT;
  let denominator = 10n ** BigInt(decimals);
  if (base === 2) numerator *= 2n ** BigInt(exponent);
  else if (exponent >= 0) numerator *= 10n ** BigInt(exponent);
  else denominator *= 10n ** BigInt(-exponent);
  const nanos = ceilDiv(numerator, denominator);
  return nanos > MAX_NANOS ? MAX_NANOS : nanos;
}

/** Pure. Why `s` is not a quantity, worded as Go's resource package does, or undefined when it is one. */
export function quantityError(s: string): string | undefined {
  if (s === "") return FORMAT_WRONG;
  const tokens = tokenize(s);
  if (tokens === undefined) return FORMAT_WRONG;
  return interpretSuffix(tokens.suffix) === undefined ? SUFFIX_WRONG : undefined;
}

/** Pure. Parses a quantity; throws invalid JP_ERR_QUANTITY when Go would refuse it. */
export function parseQuantity(s: string): Quantity {
  const error = quantityError(s);
  const tokens = error === undefined ? tokenize(s) : undefined;
  const suffix = tokens === undefined ? undefined : interpretSuffix(tokens.suffix);
  if (tokens === undefined || suffix === undefined) {
    throw fail("invalid", "JP_ERR_QUANTITY", `bad quantity ${goQuote(s)}: ${error ?? FORMAT_WRONG}`, {
      hint: "Write a number with an optional suffix: m (milli), k M G T P E (powers of 1000), Ki Mi Gi Ti Pi Ei (powers of 1024), or e<N>.",
    });
  }
  const magnitude = magnitudeNanos(BigInt(tokens.num + tokens.denom), tokens.denom.length, suffix.base, suffix.exponent);
  const nanos = tokens.positive ? magnitude : -magnitude;
  return { text: s, format: suffix.format, nanos, milli: ceilAway(nanos, 10n ** 6n) };
}

/** Rounds nanos to a coarser unit, away from zero (as Go's ScaledValue does for int64 amounts). */
function ceilAway(nanos: bigint, per: bigint): bigint {
  return nanos >= 0n ? ceilDiv(nanos, per) : -ceilDiv(-nanos, per);
}

/** Pure. The quantity in whole units (bytes for memory, bytes/s for bandwidth), rounded up like Go's Value(). */
export function quantityToBytes(q: Quantity): bigint {
  return ceilAway(q.nanos, NANOS_PER_UNIT);
}

/** Pure. The quantity in thousandths (millicores for CPU), rounded up like Go's MilliValue(). */
export function quantityToMilli(q: Quantity): bigint {
  return q.milli;
}

/**
 * Pure. A quantity inside an isolator value: a JSON string (trimmed, as Go trims it) or a JSON number.
 * The output is the text, so the manifest serializes as it came.
 */
export const QuantitySchema = z
  .union([z.string(), z.number()], { error: "quantity must be a string such as \"500m\" or \"1Gi\"" })
  .transform((raw, ctx) => {
    const text = typeof raw === "number" ? String(raw) : raw.trim();
    const error = quantityError(text);
    if (error === undefined) return text;
    ctx.addIssue({ code: "custom", message: error, continue: false });
    return z.NEVER;
  });

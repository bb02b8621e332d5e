// The `created` annotation: a date as Go's time.Parse(time.RFC3339, s) accepts it, which is what
// `actool validate` enforces. Go's general parser is more lenient than RFC 3339 in a few places (a
// one-digit hour, a comma before the fraction, any two-digit zone offset) and stricter in others (an
// upper-case `T` and `Z` only). Pure.
import { goQuote } from "./go-text.js";

const LAYOUT = "2006-01-02T15:04:05Z07:00";

function isDigit(s: string, i: number): boolean {
  const c = s.charCodeAt(i);
  return c >= 48 && c <= 57;
}

/** Go's getnum: one or two leading digits; `fixed` demands two. */
function getnum(s: string, fixed: boolean): [number, string] | undefined {
  if (!isDigit(s, 0)) return undefined;
  if (!isDigit(s, 1)) return fixed ? undefined : [Number(s[0]), s.slice(1)];
  return [Number(s.slice(0, 2)), s.slice(2)];
}

function daysIn(month: number, year: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** Pure. Why `s` is not a Go RFC3339 date, worded as Go's `bad Date: ...`, or undefined when it is one. */
export function goDateError(s: string): string | undefined {
  const cannot = (rest: string, elem: string) =>
    `bad Date: parsing time ${goQuote(s)} as ${goQuote(LAYOUT)}: cannot parse ${goQuote(rest)} as ${goQuote(elem)}`;
  const outOfRange = (what: string) => `bad Date: parsing time ${goQuote(s)}: ${what} out of range`;

  let value = s;
  if (value.length < 4 || !isDigit(value, 0)) return cannot(value, "2006");
  const yearText = value.slice(0, 4);
  value = value.slice(4);
  if (!/^[0-9]{4}$/.test(yearText)) return cannot(value, "2006");
  const year = Number(yearText);

  const fields: Array<{ literal: string; elem: string; fixed: boolean; max: number; what: string }> = [
    { literal: "-", elem: "01", fixed: true, max: 12, what: "month" },
    { literal: "-", elem: "02", fixed: true, max: 31, what: "day" },
    { literal: "T", elem: "15", fixed: false, max: 23, what: "hour" },
    { literal: ":", elem: "04", fixed: true, max: 59, what: "minute" },
    { literal: ":", elem: "05", fixed: true, max: 59, what: "second" },
  ];
  const numbers: number[] = [];
  for (const field of fields) {
    if (!value.startsWith(field.literal)) return cannot(value, field.literal);
    value = value.slice(field.literal.length);
    const got = getnum(value, field.fixed);
    if (got === undefined) return cannot(value, field.elem);
    const [n, rest] = got;
    value = rest;
    if (n > field.max || (field.what === "month" && n < 1)) return outOfRange(field.what);
    numbers.push(n);
  }
  // A fraction of a second may follow even though the layout has none.
  if (value.length >= 2 && (value[0] === "." || value[0] === ",") && isDigit(value, 1)) {
    let n = 2;
    while (n < value.length && isDigit(value, n)) n++;
    value = value.slice(n);
  }
  if (value.startsWith("Z")) {
    value = value.slice(1);
  } else {
    const ok = value.length >= 6 && (value[0] === "+" || value[0] === "-") && value[3] === ":" && /^[0-9]{2}$/.test(value.slice(1, 3)) && /^[0-9]{2}$/.test(value.slice(4, 6));
    if (!ok) return cannot(value, "Z07:00");
    value = value.slice(6);
  }
  if (value !== "") return `bad Date: parsing time ${goQuote(s)}: extra text: ${goQuote(value)}`;
  const [month = 1, day = 1] = numbers;
  if (day < 1 || day > daysIn(month, year)) return outOfRange("day");
  return undefined;
}

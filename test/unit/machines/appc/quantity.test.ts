import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { JetpackError } from "../../../../machines/errors.js";
import { parseQuantity, quantityError, quantityToBytes, quantityToMilli } from "../../../../machines/appc/index.js";

const bytes = (s: string) => quantityToBytes(parseQuantity(s));
const milli = (s: string) => quantityToMilli(parseQuantity(s));

describe("resource quantities", () => {
  it("reads binary suffixes as powers of 1024, decimals included", () => {
    assert.equal(bytes("1.5Gi"), 1610612736n);
    assert.equal(bytes("123Mi"), 128974848n);
    assert.equal(bytes("125952Ki"), 128974848n);
    assert.equal(bytes("1Ei"), 2n ** 60n);
    assert.equal(parseQuantity("1Ki").format, "BinarySI");
  });

  it("reads decimal suffixes and exponents as powers of 1000 and 10", () => {
    assert.equal(bytes("1G"), 1_000_000_000n);
    assert.equal(bytes("1k"), 1000n);
    assert.equal(bytes("1e3"), 1000n);
    assert.equal(bytes("1E3"), 1000n);
    assert.equal(bytes("2E"), 2n * 10n ** 18n);
    assert.equal(parseQuantity("1e3").format, "DecimalExponent");
  });

  it("gives CPU in millicores: 250m is a quarter of a core and 0.3 is 300m", () => {
    assert.equal(milli("250m"), 250n);
    assert.equal(milli("0.3"), 300n);
    assert.equal(milli("20m"), 20n);
    assert.equal(milli("2"), 2000n);
  });

  it("rounds up to whole units, as Go's Value() does", () => {
    assert.equal(bytes("250m"), 1n);
    assert.equal(bytes("1.1"), 2n);
    assert.equal(milli("0.1n"), 1n);
    assert.equal(parseQuantity("1e-100").nanos, 1n);
  });

  it("accepts the odd spellings Go's tokenizer lets through, as zero", () => {
    for (const s of [".", "+", "-", "e3", "00", "0"]) assert.equal(parseQuantity(s).nanos, 0n, s);
    assert.equal(bytes(".5Ki"), 512n);
    assert.equal(bytes("1."), 1n);
  });

  it("rejects upper-case K, which the spec text lists but the code does not know", () => {
    assert.equal(quantityError("1K"), "unable to parse quantity's suffix");
    assert.equal(quantityError("1KI"), "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'");
  });

  it("rejects unknown suffixes, stray characters and empty text", () => {
    for (const s of ["1ki", "1e", "1EE", "1Ti5", "1-", "1Gi-1", "1m+3"]) assert.equal(quantityError(s), "unable to parse quantity's suffix", s);
    for (const s of ["", "1X", "1.5.5", "1e3.5", "0x1", " 1", "1 "]) assert.match(quantityError(s) ?? "", /^quantities must match/, JSON.stringify(s));
  });

  it("keeps the sign, rounding negative values away from zero", () => {
    assert.equal(parseQuantity("-1.5m").nanos, -1_500_000n);
    assert.equal(milli("-1.5m"), -2n);
  });

  it("saturates absurdly large values instead of computing them", () => {
    const max = 2n ** 63n - 1n;
    assert.equal(bytes("99999Ei"), max);
    assert.equal(bytes("1e100"), max);
    assert.equal(bytes("1e9999999999"), max);
  });

  it("throws invalid JP_ERR_QUANTITY naming the text", () => {
    assert.throws(
      () => parseQuantity("1K"),
      (err: unknown) => err instanceof JetpackError && err.code === "JP_ERR_QUANTITY" && err.kind === "invalid" && err.message === 'bad quantity "1K": unable to parse quantity\'s suffix',
    );
  });
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { expectPositionals, intValue, lastValue, listValues, mergeSpecs, parseArgs } from "../../../../api/cli/args.js";
import { JetpackError } from "../../../../machines/errors.js";

const spec = { boolean: ["json", "quiet", "long", "no-wait"], value: ["root", "insecure-options", "limit"], alias: { q: "quiet", l: "long" } };

function invalid(fn: () => unknown, message: RegExp): void {
  assert.throws(fn, (err: unknown) => err instanceof JetpackError && err.kind === "invalid" && message.test(err.message));
}

describe("the argv parser", () => {
  it("reads --x=v and --x v alike", () => {
    const a = parseArgs(["--root=/a", "list", "--limit", "5"], spec);
    assert.equal(lastValue(a, "root"), "/a");
    assert.equal(lastValue(a, "limit"), "5");
    assert.deepEqual(a.positionals, ["list"]);
  });

  it("keeps every value of a repeated flag, and the last one wins where one is wanted", () => {
    const a = parseArgs(["--root", "/a", "--root=/b"], spec);
    assert.deepEqual(a.values.get("root"), ["/a", "/b"]);
    assert.equal(lastValue(a, "root"), "/b");
  });

  it("splits comma lists across repeated flags", () => {
    const a = parseArgs(["--insecure-options=image,http", "--insecure-options", "tls"], spec);
    assert.deepEqual(listValues(a, "insecure-options"), ["image", "http", "tls"]);
  });

  it("reads booleans, short aliases and bundled short flags", () => {
    const a = parseArgs(["-ql", "--json", "--no-wait"], spec);
    assert.deepEqual([...a.booleans].sort(), ["json", "long", "no-wait", "quiet"]);
  });

  it("takes everything after -- as positionals, flags included", () => {
    const a = parseArgs(["--json", "--", "--root", "-q"], spec);
    assert.deepEqual(a.positionals, ["--root", "-q"]);
    assert.ok(a.booleans.has("json"));
    assert.equal(a.values.size, 0);
  });

  it("treats a lone - as a positional (stdin or stdout)", () => {
    assert.deepEqual(parseArgs(["import", "-"], spec).positionals, ["import", "-"]);
  });

  it("takes a value that starts with a dash when the flag needs one", () => {
    assert.equal(lastValue(parseArgs(["--root", "-odd"], spec), "root"), "-odd");
  });

  it("refuses an unknown flag, naming it", () => {
    invalid(() => parseArgs(["--jsn"], spec), /unknown flag --jsn/);
    invalid(() => parseArgs(["-x"], spec), /unknown flag -x/);
  });

  it("refuses a value flag without its value, and a boolean given one", () => {
    invalid(() => parseArgs(["--root"], spec), /--root needs a value/);
    invalid(() => parseArgs(["--json=yes"], spec), /--json takes no value/);
  });

  it("merges specs so a command's flags join the global ones", () => {
    const merged = mergeSpecs({ boolean: ["json"], alias: { h: "help" } }, { value: ["zfs"], alias: { q: "quiet" } });
    assert.deepEqual(merged, { boolean: ["json"], value: ["zfs"], alias: { h: "help", q: "quiet" } });
  });

  it("checks the number of positionals and shows the usage when it is wrong", () => {
    const usage = "jetpack image show IMAGE";
    assert.deepEqual(expectPositionals(parseArgs(["x"], spec), ["IMAGE"], usage), ["x"]);
    assert.throws(() => expectPositionals(parseArgs([], spec), ["IMAGE"], usage), (e: JetpackError) => e.message === "missing IMAGE" && e.hint === `usage: ${usage}`);
    invalid(() => expectPositionals(parseArgs(["x", "y"], spec), ["IMAGE"], usage), /unexpected argument y/);
  });

  it("reads whole numbers and refuses anything else", () => {
    assert.equal(intValue(parseArgs(["--limit", "20"], spec), "limit", 1), 20);
    assert.equal(intValue(parseArgs([], spec), "limit", 1), undefined);
    invalid(() => intValue(parseArgs(["--limit", "0"], spec), "limit", 1), /--limit must be a whole number of at least 1, got 0/);
    invalid(() => intValue(parseArgs(["--limit", "2.5"], spec), "limit", 1), /got 2.5/);
    invalid(() => intValue(parseArgs(["--limit", "ten"], spec), "limit", 1), /got ten/);
  });
});

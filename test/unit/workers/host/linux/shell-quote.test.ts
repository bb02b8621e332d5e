import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { shellCommand, shellQuote } from "../../../../../workers/host/linux/shell-quote.js";

describe("shellQuote", () => {
  it("leaves plain paths and options as they are, so rendered scripts stay readable", () => {
    assert.equal(shellQuote("/var/lib/jetpack/pods/1/rootfs"), "/var/lib/jetpack/pods/1/rootfs");
    assert.equal(shellQuote("remount,bind,ro"), "remount,bind,ro");
  });

  it("single-quotes words with spaces, quotes, dollars and backslashes", () => {
    assert.equal(shellQuote("a b"), "'a b'");
    assert.equal(shellQuote("it's"), "'it'\\''s'");
    assert.equal(shellQuote("$HOME\\x"), "'$HOME\\x'");
    assert.equal(shellQuote(""), "''");
  });

  it("joins a command line of quoted words, closing and reopening the quotes around a quote", () => {
    assert.equal(shellCommand(["echo", "x'y z", "ok"]), "echo 'x'\\''y z' ok");
  });
});

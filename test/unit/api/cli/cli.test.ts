import assert from "node:assert/strict";
import { Readable } from "node:stream";
import { describe, it } from "node:test";
import { COMMANDS, commandWords, helpText, resolveInvocation, runCli, type CliIo } from "../../../../api/cli/cli.js";
import { VERSION } from "../../../../api/version.js";
import { fail, JetpackError } from "../../../../machines/errors.js";
import { FakeClient, MemoryOut, type Route } from "./fake-client.js";

function io(routes: Record<string, Route> = {}, env: Record<string, string> = {}) {
  const client = new FakeClient(routes);
  const sockets: string[] = [];
  const value: CliIo & { stdout: MemoryOut; stderr: MemoryOut } = {
    stdout: new MemoryOut(),
    stderr: new MemoryOut(),
    stdin: Readable.from([]),
    env,
    cwd: "/home/alice",
    makeClient: (socket) => {
      sockets.push(socket);
      return client;
    },
  };
  return { io: value, client, sockets };
}

const notFound = () => {
  throw fail("not_found", "JP_ERR_IMAGE_NOT_FOUND", "no image matches nope", { hint: "see `jetpack image list` for the images in the store" });
};

describe("finding the command on the command line", () => {
  it("skips global flags and their values wherever they are", () => {
    assert.deepEqual(commandWords(["--root", "/r", "image", "--json", "show", "x"]).map((w) => w.word), ["image", "show", "x"]);
    assert.deepEqual(commandWords(["--zfs", "tank", "daemon"]).map((w) => w.word), ["daemon"]);
    assert.deepEqual(commandWords(["history", "--", "image"]).map((w) => w.word), ["history"]);
  });

  it("runs a command with its own flags and the global ones", () => {
    const inv = resolveInvocation(["--root=/r", "image", "list", "-q", "--json"]);
    assert.ok("command" in inv);
    assert.deepEqual(inv.command.words, ["image", "list"]);
    assert.deepEqual([...inv.args.booleans].sort(), ["json", "quiet"]);
    assert.deepEqual(inv.args.positionals, []);
  });

  it("refuses another command's flag", () => {
    assert.throws(() => resolveInvocation(["image", "list", "--verify"]), (e: JetpackError) => e.kind === "invalid" && /unknown flag --verify/.test(e.message));
  });

  it("names an unknown command and points at help", () => {
    assert.throws(() => resolveInvocation(["image", "lsit"]), (e: JetpackError) => e.message === "unknown command image lsit" && /jetpack help/.test(e.hint ?? ""));
    assert.throws(() => resolveInvocation(["pods"]), (e: JetpackError) => e.message === "unknown command pods");
  });

  it("prints the list of commands to stderr, as an error, when none is given", () => {
    const inv = resolveInvocation([]);
    assert.ok("text" in inv && inv.code === 2 && inv.toStderr === true && inv.text.startsWith("usage: jetpack"));
    const asked = resolveInvocation(["--help"]);
    assert.ok("text" in asked && asked.code === 0 && !asked.toStderr);
  });

  it("prints a group's commands when only the group is given", () => {
    const inv = resolveInvocation(["op"]);
    assert.ok("text" in inv && inv.code === 2 && /op wait/.test(inv.text) && !/image list/.test(inv.text));
  });

  it("prints the version with --version", () => {
    assert.deepEqual(resolveInvocation(["--version"]), { text: `jetpack ${VERSION}\n`, code: 0 });
    assert.deepEqual(resolveInvocation(["image", "list", "--version"]), { text: `jetpack ${VERSION}\n`, code: 0 });
  });
});

describe("usage texts", () => {
  it("gives every command a usage line that starts with its words, and help that shows it", () => {
    for (const cmd of COMMANDS) {
      assert.ok(cmd.usage.startsWith(`jetpack ${cmd.words.join(" ")}`), cmd.usage);
      assert.ok(helpText(cmd.words).startsWith(`usage: ${cmd.usage}\n`));
      const viaFlag = resolveInvocation([...cmd.words, "--help"]);
      assert.ok("text" in viaFlag && viaFlag.text === helpText(cmd.words) && viaFlag.code === 0);
    }
  });

  it("lists every command in the main help", () => {
    const text = helpText([]);
    for (const cmd of COMMANDS) assert.match(text, new RegExp(`^  ${cmd.words.join(" ")}\\s+${cmd.summary.replace(/[()<>]/g, ".")}$`, "m"));
  });

  it("refuses help for a command that does not exist", () => {
    assert.throws(() => helpText(["image", "nope"]), /no command image nope/);
    assert.throws(() => helpText(["history", "extra"]), /no command history extra/);
  });
});

describe("running the jetpack command", () => {
  it("connects to <root>/jetpack.sock, with --root before JETPACK_ROOT before the default", async () => {
    const routes = { "GET /v1/operations": () => ({ operations: [] }) };
    const a = io(routes);
    assert.equal(await runCli(["op", "list"], a.io), 0);
    const b = io(routes, { JETPACK_ROOT: "/srv/env" });
    await runCli(["op", "list"], b.io);
    const c = io(routes, { JETPACK_ROOT: "/srv/env" });
    await runCli(["op", "list", "--root", "rel"], c.io);
    assert.deepEqual([...a.sockets, ...b.sockets, ...c.sockets], ["/var/lib/jetpack/jetpack.sock", "/srv/env/jetpack.sock", "/home/alice/rel/jetpack.sock"]);
    assert.ok(a.client.closed);
  });

  it("prints a not-found error with its hint and exits 3", async () => {
    const t = io({ "GET /v1/images/nope": notFound });
    assert.equal(await runCli(["image", "show", "nope"], t.io), 3);
    assert.equal(t.io.stderr.text, "jetpack: no image matches nope\nhint: see `jetpack image list` for the images in the store\n");
    assert.equal(t.io.stdout.text, "");
    assert.ok(t.client.closed, "the client is closed after a failure too");
  });

  it("prints the error as JSON on stderr with --json", async () => {
    const t = io({ "GET /v1/images/nope": notFound });
    assert.equal(await runCli(["image", "show", "nope", "--json"], t.io), 3);
    assert.equal(JSON.parse(t.io.stderr.text).error.code, "JP_ERR_IMAGE_NOT_FOUND");
  });

  it("exits 2 for a usage mistake, without asking the daemon", async () => {
    const t = io();
    assert.equal(await runCli(["image", "show"], t.io), 2);
    assert.equal(t.io.stderr.text, "jetpack: missing IMAGE\nhint: usage: jetpack image show IMAGE [--json]\n");
    assert.equal(t.client.calls.length, 0);
  });

  it("exits 1 for an unexpected failure, keeping its message", async () => {
    const t = io({ "GET /v1/operations": () => { throw new TypeError("cannot read x"); } });
    assert.equal(await runCli(["op", "list"], t.io), 1);
    assert.equal(t.io.stderr.text, "jetpack: cannot read x\n");
  });

  it("prints help on stdout and exits 0", async () => {
    const t = io();
    assert.equal(await runCli(["help", "history"], t.io), 0);
    assert.match(t.io.stdout.text, /^usage: jetpack history /);
    assert.equal(t.sockets.length, 0);
  });
});

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import type { PodRunSpec, RunApp } from "../../../../../machines/pod/run-spec.js";
import {
  appExecArgv,
  jailCreateArgv,
  jailName,
  jailRemoveArgv,
  jailStatusArgv,
  parseJailBackendConfig,
  parseJls,
  stage2Argv,
  type Stage2Command,
} from "../../../../../workers/host/jail/index.js";
import { refusal } from "../../../../support/refusal.js";
import { repoPath } from "../../../../support/repo.js";

const UUID = "0b6c5a9e-2f1d-4c3b-8a7e-1d2c3b4a5f60";
const config = parseJailBackendConfig({});

function nginx(): RunApp {
  const spec = JSON.parse(readFileSync(repoPath("test/fixtures/jail/single-app-with-ip/spec.json"), "utf8")) as PodRunSpec;
  const [app] = spec.apps;
  assert.ok(app);
  return app;
}

function command(over: Partial<Stage2Command> = {}): Stage2Command {
  return {
    jid: 7,
    appName: "web",
    workingDirectory: "/srv",
    environment: [{ name: "PATH", value: "/bin:/usr/bin" }],
    argv: ["/bin/echo", "hello world"],
    ids: { uid: 80, gid: 80, gids: [] },
    ...over,
  };
}

describe("jail names", () => {
  it("joins the prefix and the pod UUID", () => {
    assert.equal(jailName("jetpack/", UUID), `jetpack/${UUID}`);
    assert.equal(jailName("", UUID), UUID);
  });

  for (const prefix of ["jet.pack/", "jet pack/", "jp*", 'jp"', "jp$"]) {
    it(`refuses the prefix ${JSON.stringify(prefix)}`, () => {
      assert.equal(refusal(() => jailName(prefix, UUID)).code, "JP_ERR_JAIL_NAME");
    });
  }

  it("refuses a pod UUID that is not a lowercase UUID", () => {
    assert.equal(refusal(() => jailName("jetpack/", UUID.toUpperCase())).code, "JP_ERR_JAIL_NAME");
    assert.equal(refusal(() => jailName("jetpack/", "../x")).code, "JP_ERR_JAIL_NAME");
  });
});

describe("jail and jls argv", () => {
  it("creates and removes the jail named in the pod's jail.conf", () => {
    assert.deepEqual(jailCreateArgv("/p/jail.conf", "jetpack/x"), ["/usr/sbin/jail", "-f", "/p/jail.conf", "-c", "jetpack/x"]);
    assert.deepEqual(jailRemoveArgv("/p/jail.conf", "jetpack/x"), ["/usr/sbin/jail", "-f", "/p/jail.conf", "-r", "jetpack/x"]);
  });

  it("lists jails with dying ones included", () => {
    assert.deepEqual(jailStatusArgv(), ["/usr/sbin/jls", "-d", "jid", "dying", "name"]);
  });
});

describe("jls output", () => {
  it("maps each jail's name to its JID and whether it is dying", () => {
    const jails = parseJls(`3 false jetpack/${UUID}\n14 true jetpack/other\n2 false www\n`);
    assert.deepEqual([...jails], [
      [`jetpack/${UUID}`, { jid: 3, dying: false }],
      ["jetpack/other", { jid: 14, dying: true }],
      ["www", { jid: 2, dying: false }],
    ]);
  });

  it("reads an empty listing as no jails", () => {
    assert.equal(parseJls("").size, 0);
    assert.equal(parseJls("\n\n").size, 0);
  });

  it("prefers the live jail when a dying one still holds the same name", () => {
    assert.deepEqual(parseJls("5 true jetpack/a\n9 false jetpack/a\n").get("jetpack/a"), { jid: 9, dying: false });
    assert.deepEqual(parseJls("9 false jetpack/a\n5 true jetpack/a\n").get("jetpack/a"), { jid: 9, dying: false });
  });

  it("accepts CRLF line ends, 1/0 booleans and names with spaces", () => {
    const jails = parseJls("4 1 my jail\r\n5 0 other\r\n");
    assert.deepEqual(jails.get("my jail"), { jid: 4, dying: true });
    assert.deepEqual(jails.get("other"), { jid: 5, dying: false });
  });

  for (const line of ["jetpack/a", "x false jetpack/a", "3 maybe jetpack/a", "3 false", "   JID  IP Address      Hostname"]) {
    it(`fails on the unexpected line ${JSON.stringify(line)}, quoting it`, () => {
      const err = refusal(() => parseJls(`${line}\n`));
      assert.equal(err.kind, "internal");
      assert.equal(err.code, "JP_ERR_JAIL_JLS_OUTPUT");
      assert.ok(err.message.includes(JSON.stringify(line)), err.message);
    });
  }
});

describe("stage2 argv", () => {
  it("puts jid, ids, app and working directory first, then the environment, then the program", () => {
    assert.deepEqual(stage2Argv("/usr/local/libexec/jetpack", command()), [
      "/usr/local/libexec/jetpack/stage2",
      "7:80:80:web:/srv",
      "PATH=/bin:/usr/bin",
      "/bin/echo",
      "hello world",
    ]);
  });

  it("appends supplementary groups to the primary one, comma-separated", () => {
    assert.equal(stage2Argv("/l", command({ ids: { uid: 1000, gid: 1000, gids: [5, 20] } }))[1], "7:1000:1000,5,20:web:/srv");
  });

  it("runs an app's own exec with its environment, or another command for `pod exec`", () => {
    const app = nginx();
    const ids = { uid: 80, gid: 80, gids: [] };
    const own = appExecArgv(config, 7, app, ids);
    assert.deepEqual(own.slice(-3), ["/usr/local/sbin/nginx", "-g", "daemon off;"]);
    assert.equal(own.filter((w) => w.startsWith("AC_APP_NAME=")).length, 1);
    const other = appExecArgv(config, 7, app, ids, ["/bin/ps", "aux"]);
    assert.deepEqual(other.slice(-2), ["/bin/ps", "aux"]);
  });

  it("starts in / when the app names no working directory", () => {
    assert.equal(appExecArgv(config, 7, { ...nginx(), workingDirectory: "" }, { uid: 0, gid: 0, gids: [] })[1], "7:0:0:nginx:/");
  });

  const refused: Array<[string, Partial<Stage2Command>]> = [
    ["a jail ID of 0", { jid: 0 }],
    ["a negative uid", { ids: { uid: -1, gid: 0, gids: [] } }],
    ["a fractional supplementary gid", { ids: { uid: 0, gid: 0, gids: [1.5] } }],
    ["an app name that is not an AC Name", { appName: "Web:x" }],
    ["a relative working directory", { workingDirectory: "srv" }],
    ["a working directory with a colon", { workingDirectory: "/srv/a:b" }],
    ["an environment name starting with a slash", { environment: [{ name: "/bin/sh", value: "x" }] }],
    ["an environment name with =", { environment: [{ name: "A=B", value: "x" }] }],
    ["a NUL in an environment value", { environment: [{ name: "A", value: "x\0y" }] }],
    ["a relative program", { argv: ["echo", "hi"] }],
    ["nothing to run", { argv: [] }],
    ["a NUL in an argument", { argv: ["/bin/echo", "a\0b"] }],
  ];
  for (const [what, over] of refused) {
    it(`refuses ${what}`, () => {
      const err = refusal(() => stage2Argv("/l", command(over)));
      assert.equal(err.kind, "invalid");
      assert.equal(err.code, "JP_ERR_JAIL_EXEC");
    });
  }
});

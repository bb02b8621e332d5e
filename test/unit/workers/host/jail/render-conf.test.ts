import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import type { PodRunSpec } from "../../../../../machines/pod/run-spec.js";
import {
  jailConfParams,
  parseJailBackendConfig,
  quoteJailConfString,
  renderJailConf,
} from "../../../../../workers/host/jail/index.js";
import { refusal } from "../../../../support/refusal.js";
import { repoPath } from "../../../../support/repo.js";

function baseSpec(): PodRunSpec {
  return JSON.parse(readFileSync(repoPath("test/fixtures/jail/single-app-with-ip/spec.json"), "utf8")) as PodRunSpec;
}

function withAnnotations(...annotations: Array<[string, string]>): PodRunSpec {
  return { ...baseSpec(), annotations: annotations.map(([name, value]) => ({ name, value })) };
}

const defaults = parseJailBackendConfig({});

/**
 * What jail(8)'s lexer makes of a double-quoted string (usr.sbin/jail/jaillex.l): backslash escapes undone
 * (C letters, 1-3 octal digits, anything else stands for itself); an unescaped `$` would start a variable.
 */
function unquoteLikeJail(quoted: string): string {
  assert.ok(quoted.startsWith('"') && quoted.endsWith('"'), `not double-quoted: ${quoted}`);
  const body = quoted.slice(1, -1);
  const letters: Record<string, string> = { a: "\x07", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t", v: "\v" };
  let out = "";
  for (let i = 0; i < body.length; i++) {
    const c = body[i] ?? "";
    if (c === '"') assert.fail(`unescaped quote in ${quoted}`);
    if (c === "$") assert.fail(`unescaped $ in ${quoted}`);
    if (c === "\n") assert.fail(`raw newline in ${quoted}`);
    if (c !== "\\") {
      out += c;
      continue;
    }
    const next = body[++i] ?? "";
    if (/[0-7]/.test(next)) {
      let digits = next;
      while (digits.length < 3 && /[0-7]/.test(body[i + 1] ?? "")) digits += body[++i];
      out += String.fromCharCode(parseInt(digits, 8));
    } else out += letters[next] ?? next;
  }
  return out;
}

describe("jail.conf quoting", () => {
  it("writes a plain value between double quotes as it is", () => {
    assert.equal(quoteJailConfString("/var/jetpack/pods/x/rootfs"), '"/var/jetpack/pods/x/rootfs"');
  });

  it("escapes quotes, backslashes and dollars so jail(8) neither ends the string nor expands a variable", () => {
    assert.equal(quoteJailConfString('say "hi" \\ $HOME ${path}'), '"say \\"hi\\" \\\\ \\$HOME \\${path}"');
  });

  it("keeps a newline, a tab and other control characters from splitting the line", () => {
    assert.equal(quoteJailConfString("a\nb\tc\rd"), '"a\\nb\\tc\\rd"');
    // Three octal digits always, so the 7 after \x01 stays a character of its own.
    assert.equal(quoteJailConfString("\x017\x7f"), '"\\0017\\177"');
  });

  it("gives back every character when jail(8) reads the quoted string", () => {
    const samples = [Array.from({ length: 127 }, (_, i) => String.fromCharCode(i + 1)).join(""), "héllo wörld ✓", "$", "\\", '"', "a\\nb", "\x0123"];
    for (const s of samples) assert.equal(unquoteLikeJail(quoteJailConfString(s)), s);
  });

  it("refuses a NUL byte, which no jail.conf string can hold", () => {
    const err = refusal(() => quoteJailConfString("a\0b"));
    assert.equal(err.kind, "invalid");
    assert.equal(err.code, "JP_ERR_JAIL_PARAM_VALUE");
  });

  it("renders a hostname with quotes, dollars and a newline as one line that reads back to it", () => {
    const hostname = 'evil"; path="/"; $x\nexec.prestart="rm -rf /';
    const conf = renderJailConf({ ...baseSpec(), hostname }, defaults);
    const line = conf.split("\n").find((l) => l.startsWith("  host.hostname = "));
    assert.ok(line);
    assert.equal(unquoteLikeJail(line.slice("  host.hostname = ".length, -1)), hostname);
    assert.equal(conf.split("\n").filter((l) => l.startsWith("  path = ")).length, 1);
    assert.ok(!conf.includes("\n  exec.prestart"));
  });
});

describe("jail parameters from the pod's annotations", () => {
  it("lets jetpack/jail.conf/* annotations set permissions and override the settings, as build pods need", () => {
    const params = jailConfParams(withAnnotations(["jetpack/jail.conf/allow.chflags", "true"], ["jetpack/jail.conf/securelevel", "0"]), defaults);
    assert.equal(params.get("allow.chflags"), "true");
    assert.equal(params.get("securelevel"), "0");
  });

  it("turns dashes in the annotation's parameter into underscores, as Jetpack did", () => {
    const params = jailConfParams(withAnnotations(["jetpack/jail.conf/allow.raw-sockets", "true"]), defaults);
    assert.equal(params.get("allow.raw_sockets"), "true");
    assert.equal(params.has("allow.raw-sockets"), false);
  });

  it("lets an annotation override the pod's hostname", () => {
    const params = jailConfParams(withAnnotations(["jetpack/jail.conf/host.hostname", "web.example.com"]), defaults);
    assert.equal(params.get("host.hostname"), "web.example.com");
  });

  it("unsets a parameter given an empty value", () => {
    const params = jailConfParams(withAnnotations(["jetpack/jail.conf/securelevel", ""]), defaults);
    assert.equal(params.has("securelevel"), false);
  });

  it("replaces the other spelling of the same parameter, so the annotation wins whatever the sort order", () => {
    const config = parseJailBackendConfig({ jailConf: { "allow.nochflags": "true" } });
    const params = jailConfParams(withAnnotations(["jetpack/jail.conf/allow.chflags", "true"]), config);
    assert.equal(params.get("allow.chflags"), "true");
    assert.equal(params.has("allow.nochflags"), false);
  });

  it("ignores annotations outside the jetpack/jail.conf/ prefix", () => {
    const params = jailConfParams(withAnnotations(["jetpack/jail.confx/securelevel", "0"], ["example.com/securelevel", "0"]), defaults);
    assert.equal(params.get("securelevel"), "2");
  });

  for (const name of ["jetpack/jail.conf/", "jetpack/jail.conf/Allow.Chflags", "jetpack/jail.conf/allow/chflags", "jetpack/jail.conf/allow..chflags", "jetpack/jail.conf/.persist", "jetpack/jail.conf/x~y", 'jetpack/jail.conf/a";b']) {
    it(`refuses the annotation ${JSON.stringify(name)}, naming it`, () => {
      const err = refusal(() => jailConfParams(withAnnotations([name, "1"]), defaults));
      assert.equal(err.kind, "invalid");
      assert.equal(err.code, "JP_ERR_JAIL_PARAM_NAME");
      assert.ok(err.message.includes(JSON.stringify(name)), err.message);
    });
  }

  for (const param of ["path", "mount.fstab", "mount", "mount.devfs", "exec.prestart", "exec.clean", "nopersist", "persist", "host.hostuuid", "ip4.addr", "interface", "vnet", "name"]) {
    it(`refuses a pod annotation that sets ${param}, which Jetpack manages itself`, () => {
      const annotation = `jetpack/jail.conf/${param}`;
      const err = refusal(() => jailConfParams(withAnnotations([annotation, "x"]), defaults));
      assert.equal(err.kind, "invalid");
      assert.equal(err.code, "JP_ERR_JAIL_PARAM_RESERVED");
      assert.ok(err.message.includes(annotation), err.message);
    });
  }

  it("refuses an annotation value with a NUL byte, naming the annotation", () => {
    const err = refusal(() => jailConfParams(withAnnotations(["jetpack/jail.conf/allow.mount", "tr\0ue"]), defaults));
    assert.equal(err.code, "JP_ERR_JAIL_PARAM_VALUE");
    assert.ok(err.message.includes("jetpack/jail.conf/allow.mount"));
  });
});

describe("jail parameters from the pod and the settings", () => {
  it("gives an IPv6 pod its address as ip6.addr", () => {
    const params = jailConfParams({ ...baseSpec(), ip: "fd00:23::2" }, defaults);
    assert.equal(params.get("ip6.addr"), "fd00:23::2");
    assert.equal(params.has("ip4.addr"), false);
    assert.equal(params.get("interface"), "lo1");
  });

  it("refuses a pod address that is not an IP address", () => {
    const err = refusal(() => jailConfParams({ ...baseSpec(), ip: "172.23.0.2/16" }, defaults));
    assert.equal(err.code, "JP_ERR_JAIL_ADDRESS");
  });

  it("lets the operator's settings change a parameter the backend sets", () => {
    const params = jailConfParams(baseSpec(), parseJailBackendConfig({ jailConf: { "exec.clean": "" } }));
    assert.equal(params.has("exec.clean"), false);
  });

  it("fills in Jetpack's defaults", () => {
    assert.deepEqual(defaults, { namePrefix: "jetpack/", interface: "lo1", libexecDir: "/usr/local/libexec/jetpack", jailConf: {} });
  });

  it("refuses settings with an unknown field, naming it", () => {
    const err = refusal(() => parseJailBackendConfig({ jailconf: {} }));
    assert.equal(err.code, "JP_ERR_JAIL_CONFIG");
    assert.ok(err.message.includes("jailconf"), err.message);
  });

  it("refuses a jailConf setting whose name is not a jail parameter name, naming it", () => {
    const err = refusal(() => parseJailBackendConfig({ jailConf: { "allow chflags": "true" } }));
    assert.equal(err.code, "JP_ERR_JAIL_PARAM_NAME");
    assert.ok(err.message.includes("jailConf.allow chflags"), err.message);
  });

  it("refuses a name prefix with a dot, which jail(8) would read as a parent jail", () => {
    const err = refusal(() => parseJailBackendConfig({ namePrefix: "jetpack." }));
    assert.equal(err.code, "JP_ERR_JAIL_NAME");
  });
});

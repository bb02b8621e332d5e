import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { JetpackError } from "../../../../machines/errors.js";
import {
  AppIsolatorsSchema,
  checkPodIsolators,
  ISOLATOR_RULES,
  KNOWN_ISOLATORS,
  PodIsolatorsSchema,
  resourceAmounts,
  type Isolator,
} from "../../../../machines/appc/index.js";

function appErrors(isolators: unknown): string[] {
  const result = AppIsolatorsSchema.safeParse(isolators);
  return result.success ? [] : result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
}

const seccompRemove = { name: "os/linux/seccomp-remove-set", value: { set: ["reboot"] } };
const seccompRetain = { name: "os/linux/seccomp-retain-set", value: { set: ["read"] } };

describe("isolators", () => {
  it("knows every isolator of spec §5.6, each with a rule", () => {
    assert.deepEqual([...KNOWN_ISOLATORS].sort(), Object.keys(ISOLATOR_RULES).sort());
    assert.equal(KNOWN_ISOLATORS.length, 15);
    assert.ok(KNOWN_ISOLATORS.includes("os/unix/sysctl"));
  });

  it("rejects an unknown type in an app", () => {
    assert.deepEqual(appErrors([{ name: "example.com/x", value: 1 }]), ['0.name: invalid isolator: unknown type "example.com/x"']);
  });

  it("rejects seccomp remove and retain sets together, whichever comes first", () => {
    const message = (a: string, b: string) => `1.name: isolators set contains incompatible types: ${a} cannot be combined with ${b}`;
    assert.deepEqual(appErrors([seccompRemove, seccompRetain]), [message("os/linux/seccomp-retain-set", "os/linux/seccomp-remove-set")]);
    assert.deepEqual(appErrors([seccompRetain, seccompRemove]), [message("os/linux/seccomp-remove-set", "os/linux/seccomp-retain-set")]);
  });

  it("allows one of each single-instance type but several resource and capability isolators", () => {
    for (const name of ["os/linux/seccomp-remove-set", "os/linux/cpu-shares", "os/linux/oom-score-adj", "os/linux/selinux-context", "os/linux/apparmor-profile", "os/unix/sysctl"]) {
      assert.equal(ISOLATOR_RULES[name as keyof typeof ISOLATOR_RULES].multipleAllowed, false, name);
    }
    assert.deepEqual(appErrors([{ name: "os/linux/cpu-shares", value: 2 }, { name: "os/linux/cpu-shares", value: 3 }]), ["1.name: isolators set contains too many instances of type os/linux/cpu-shares"]);
    const retain = { name: "os/linux/capabilities-retain-set", value: { set: ["CAP_CHOWN"] } };
    const remove = { name: "os/linux/capabilities-remove-set", value: { set: ["CAP_KILL"] } };
    const memory = { name: "resource/memory", value: { limit: "1G" } };
    assert.deepEqual(appErrors([retain, remove, retain, memory, memory]), []);
  });

  it("checks resource defaults and requests per type", () => {
    assert.deepEqual(appErrors([{ name: "resource/cpu", value: { default: true } }]), ["0.value.default: default must be false"]);
    assert.deepEqual(appErrors([{ name: "resource/block-iops", value: { limit: "100" } }]), ["0.value.default: default must be true"]);
    assert.deepEqual(appErrors([{ name: "resource/block-iops", value: { default: true, request: "1", limit: "2" } }]), ["0.value.request: request not supported by this resource, must be empty"]);
  });

  it("checks the bounds of oom-score-adj and cpu-shares with Go's texts", () => {
    assert.deepEqual(appErrors([{ name: "os/linux/oom-score-adj", value: -1001 }]), ["0.value: os/linux/oom-score-adj must be between -1000 and 1000, got -1001"]);
    assert.deepEqual(appErrors([{ name: "os/linux/cpu-shares", value: 262145 }]), ["0.value: os/linux/cpu-shares must be between 2 and 262144, got 262145"]);
    assert.deepEqual(appErrors([{ name: "os/linux/oom-score-adj", value: 1000 }, { name: "os/linux/cpu-shares", value: 2 }]), []);
  });

  it("checks errno spelling: an E, then upper-case letters and digits", () => {
    const errno = (e: string) => appErrors([{ name: "os/linux/seccomp-remove-set", value: { set: ["reboot"], errno: e } }]);
    assert.deepEqual(errno("ENOTSUP"), []);
    assert.deepEqual(errno("E2BIG"), []);
    assert.deepEqual(errno("XPERM"), ["0.value.errno: errno must start with an 'E' character, got XPERM"]);
    assert.deepEqual(errno("Eperm"), ["0.value.errno: errno can only contain upper case or numeric characters, got Eperm"]);
  });

  it("rejects a selinux context part that is empty or holds a colon (the level may)", () => {
    const ctx = (v: object) => appErrors([{ name: "os/linux/selinux-context", value: { user: "u", role: "r", type: "t", level: "s0:c1", ...v } }]);
    assert.deepEqual(ctx({}), []);
    assert.deepEqual(ctx({ role: "" }), ['0.value.role: invalid role value ""']);
    assert.deepEqual(ctx({ type: "a:b" }), ['0.value.type: invalid type value "a:b"']);
  });

  it("writes parsed values back with canonical keys and without empty errno", () => {
    const parsed = AppIsolatorsSchema.parse([
      { NAME: "resource/cpu", VALUE: { Limit: 2 } },
      { name: "os/linux/seccomp-remove-set", value: { SET: ["reboot"], errno: "" } },
    ]);
    assert.deepEqual(parsed, [
      { name: "resource/cpu", value: { default: false, limit: "2" } },
      { name: "os/linux/seccomp-remove-set", value: { set: ["reboot"] } },
    ]);
  });

  it("gives resource requests and limits as quantities, the request defaulting to the limit", () => {
    const [cpu] = AppIsolatorsSchema.parse([{ name: "resource/cpu", value: { limit: "500m" } }]) as Isolator[];
    const amounts = resourceAmounts(cpu as Isolator);
    assert.equal(amounts?.limit?.milli, 500n);
    assert.equal(amounts?.request?.milli, 500n);
    assert.equal(resourceAmounts({ name: "os/linux/no-new-privileges", value: true }), undefined);
  });
});

describe("pod isolators", () => {
  it("are parsed as Go does: known values checked, unknown names and repeats let through", () => {
    const parsed = PodIsolatorsSchema.parse([
      { name: "example.com/custom" },
      { name: "os/linux/cpu-shares", value: 512 },
      { name: "os/linux/cpu-shares", value: 1024 },
    ]);
    assert.equal(parsed.length, 3);
    assert.equal(PodIsolatorsSchema.safeParse([{ name: "os/linux/cpu-shares", value: 1 }]).success, false);
  });

  it("are split by checkPodIsolators into applied and ignored, saying why", () => {
    const report = checkPodIsolators([
      { name: "resource/memory", value: { default: false, limit: "4G" } },
      { name: "os/unix/sysctl", value: { "net.ipv4.tcp_fin_timeout": "6" } },
      { name: "example.com/custom", value: 1 },
      { name: "os/linux/capabilities-retain-set", value: { set: ["CAP_CHOWN"] } },
    ]);
    assert.deepEqual(report.applied.map((i) => i.name), ["resource/memory", "os/unix/sysctl"]);
    assert.deepEqual(report.ignored.map((i) => [i.isolator.name, i.reason]), [
      ["example.com/custom", 'unknown isolator type "example.com/custom"'],
      ["os/linux/capabilities-retain-set", "os/linux/capabilities-retain-set applies to apps, not to pods"],
    ]);
  });

  it("are refused by checkPodIsolators when a single-instance type repeats", () => {
    assert.throws(
      () => checkPodIsolators([{ name: "os/linux/cpu-shares", value: 512 }, { name: "os/linux/cpu-shares", value: 1024 }]),
      (err: unknown) =>
        err instanceof JetpackError &&
        err.kind === "invalid" &&
        err.code === "JP_ERR_MANIFEST_INVALID" &&
        err.message === "invalid pod manifest: isolators[1].name: isolators set contains too many instances of type os/linux/cpu-shares",
    );
  });
});

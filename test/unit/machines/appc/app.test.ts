import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AppSchema, PortSchema } from "../../../../machines/appc/index.js";

function appErrors(app: unknown): string[] {
  const result = AppSchema.safeParse(app);
  return result.success ? [] : result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
}

const base = { user: "0", group: "0" };

describe("the app object", () => {
  it("needs only a user and a group; lists default to empty", () => {
    assert.deepEqual(AppSchema.parse(base), { ...base, eventHandlers: [], supplementaryGIDs: [], environment: [], mountPoints: [], ports: [], isolators: [] });
  });

  it("treats absent, null and empty user or group alike: required", () => {
    assert.deepEqual(appErrors({ group: "0" }), ["user: user is required"]);
    assert.deepEqual(appErrors({ user: null, group: "0" }), ["user: user is required"]);
    assert.deepEqual(appErrors({ user: "0", group: "" }), ["group: group is required"]);
  });

  it("never checks exec: absent, null and empty all pass", () => {
    assert.equal(AppSchema.parse({ ...base, exec: null }).exec, undefined);
    assert.deepEqual(AppSchema.parse({ ...base, exec: [] }).exec, []);
    assert.deepEqual(AppSchema.parse({ ...base, exec: ["sh", "-c", "$X"] }).exec, ["sh", "-c", "$X"]);
  });

  it("reads supplementaryGids as supplementaryGIDs and writes the canonical spelling", () => {
    const app = AppSchema.parse({ ...base, supplementaryGids: [10, -1] });
    assert.deepEqual(app.supplementaryGIDs, [10, -1]);
    assert.ok(JSON.stringify(app).includes('"supplementaryGIDs":[10,-1]'));
    assert.ok(!JSON.stringify(app).includes("supplementaryGids"));
  });

  it("wants an absolute working directory, and drops an empty one", () => {
    assert.deepEqual(appErrors({ ...base, workingDirectory: "opt" }), ["workingDirectory: workingDirectory must be an absolute path"]);
    assert.equal(AppSchema.parse({ ...base, workingDirectory: "/opt" }).workingDirectory, "/opt");
    assert.ok(!("workingDirectory" in AppSchema.parse({ ...base, workingDirectory: "" })));
  });

  it("allows pre-start and post-stop handlers once each", () => {
    assert.deepEqual(appErrors({ ...base, eventHandlers: [{ name: "pre-start" }, { name: "post-stop" }] }), []);
    assert.deepEqual(appErrors({ ...base, eventHandlers: [{ name: "post-stop" }, { name: "post-stop" }] }), ['eventHandlers.1.name: Only one eventHandler of name "post-stop" allowed']);
    assert.deepEqual(appErrors({ ...base, eventHandlers: [{ name: "pre-stop" }] }), ['eventHandlers.0.name: bad eventHandler "name": "pre-stop"']);
  });

  it("checks environment names against the spec's pattern and keeps them unique", () => {
    assert.deepEqual(appErrors({ ...base, environment: [{ name: "a.b-c", value: "" }, { name: "_1", value: "x" }] }), []);
    assert.deepEqual(appErrors({ ...base, environment: [{ name: "A B", value: "" }] }), ['environment.0.name: environment variable does not have valid identifier "A B"']);
    assert.deepEqual(appErrors({ ...base, environment: [{ name: "A", value: "" }, { name: "A", value: "" }] }), ['environment.1.name: duplicate environment variable of name "A"']);
  });

  it("keeps user annotations and labels as free text, null values becoming empty", () => {
    const app = AppSchema.parse({ ...base, userAnnotations: { "Any Key": "v", n: null }, userLabels: { team: "x" } });
    assert.deepEqual(app.userAnnotations, { "Any Key": "v", n: "" });
    assert.deepEqual(app.userLabels, { team: "x" });
  });
});

describe("app ports", () => {
  it("default count to 1, protocol to empty and socketActivated to false", () => {
    assert.deepEqual(PortSchema.parse({ name: "http", port: 80 }), { name: "http", protocol: "", port: 80, count: 1, socketActivated: false });
    assert.equal(PortSchema.parse({ name: "http", port: 80, count: 0 }).count, 1);
  });

  it("keep port and port + count within 1-65535", () => {
    const errors = (p: object) => {
      const r = PortSchema.safeParse({ name: "p", ...p });
      return r.success ? [] : r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    };
    assert.deepEqual(errors({ port: 1 }), []);
    assert.deepEqual(errors({ port: 65535 }), []);
    assert.deepEqual(errors({ port: 65535, count: 1 }), []);
    assert.deepEqual(errors({ port: 65000, count: 536 }), []);
    assert.deepEqual(errors({ port: 65000, count: 537 }), ["count: end of port range must be in 1-65535 range"]);
    assert.deepEqual(errors({ port: 0 }), ["port: port must be in 1-65535 range"]);
    assert.deepEqual(errors({ port: 65536 }), ["port: port must be in 1-65535 range"]);
    assert.deepEqual(errors({ port: 80.5 }), ["port: port must be a non-negative integer"]);
  });
});

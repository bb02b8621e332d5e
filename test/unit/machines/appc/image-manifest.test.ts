import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { JetpackError } from "../../../../machines/errors.js";
import { parseImageManifest, parseImageManifestBytes } from "../../../../machines/appc/index.js";
import { repoPath } from "../../../support/repo.js";

function invalidMessage(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof JetpackError);
    assert.equal(err.kind, "invalid");
    assert.equal(err.code, "JP_ERR_MANIFEST_INVALID");
    return err.message;
  }
  assert.fail("expected an invalid manifest");
}

const FIXTURES_DIR = repoPath("test/fixtures/appc") + "/";

describe("image manifests", () => {
  it("read the spec's example image with every field in place", () => {
    const m = parseImageManifestBytes(readFileSync(`${FIXTURES_DIR}image/valid/example-image.json`));
    assert.equal(m.name, "example.com/reduce-worker");
    assert.equal(m.app?.user, "100");
    assert.deepEqual(m.app?.supplementaryGIDs, [400, 500]);
    assert.deepEqual(m.app?.eventHandlers.map((h) => h.name), ["pre-start", "post-stop"]);
    assert.deepEqual(m.app?.ports, [{ name: "health", protocol: "tcp", port: 4000, count: 1, socketActivated: true }]);
    assert.equal(m.app?.isolators.length, 5);
    assert.equal(m.dependencies[0]?.imageID, "sha512-...");
    assert.equal(m.pathWhitelist.length, 5);
    assert.equal(m.annotations.find((a) => a.name === "created")?.value, "2014-10-27T19:32:27.67021798Z");
  });

  it("match keys case-insensitively, ignore unknown keys and write canonical keys", () => {
    const m = parseImageManifest({ ACKIND: "ImageManifest", acversion: "0.8.11", NAME: "example.com/x", Extra: 1, APP: { User: "0", GROUP: "0" } });
    assert.deepEqual(m, {
      acKind: "ImageManifest",
      acVersion: "0.8.11",
      name: "example.com/x",
      labels: [],
      app: { user: "0", group: "0", eventHandlers: [], supplementaryGIDs: [], environment: [], mountPoints: [], ports: [], isolators: [] },
      annotations: [],
      dependencies: [],
      pathWhitelist: [],
    });
  });

  it("let the later of two keys for one field win, as Go does", () => {
    assert.equal(parseImageManifest({ acKind: "ImageManifest", acVersion: "0.8.11", name: "first", NAME: "second" }).name, "second");
  });

  it("name the field at fault and use the Go schema's text", () => {
    assert.equal(invalidMessage(() => parseImageManifest({ acKind: "ImageManifest", acVersion: "0.8.11", name: "a", app: { group: "0" } })), "invalid image manifest: app.user: user is required");
    assert.equal(
      invalidMessage(() => parseImageManifest({ acKind: "ImageManifest", acVersion: "0.8.11", name: "a", app: { user: "0", group: "0", environment: [{ name: "OK", value: "" }, { name: "9", value: "" }] } })),
      'invalid image manifest: app.environment[1].name: environment variable does not have valid identifier "9"',
    );
  });

  it("list several faults at once", () => {
    assert.equal(invalidMessage(() => parseImageManifest({ acKind: "ImageManifest" })), "invalid image manifest: acVersion: acVersion must be set; name: name must be set");
  });

  it("refuse bytes that are not JSON, saying where", () => {
    const message = invalidMessage(() => parseImageManifestBytes(Buffer.from('{\n  "acKind": "ImageManifest",\n  oops\n}')));
    assert.match(message, /^invalid image manifest: not valid JSON at line 3, column 3: /);
    assert.match(invalidMessage(() => parseImageManifestBytes(Buffer.from(""))), /^invalid image manifest: not valid JSON/);
  });

  it("refuse JSON that is not an object", () => {
    assert.equal(invalidMessage(() => parseImageManifestBytes(Buffer.from("[]"))), "invalid image manifest: an image manifest must be a JSON object");
    assert.equal(invalidMessage(() => parseImageManifest(null)), "invalid image manifest: an image manifest must be a JSON object");
  });

  it("treat a dependency size of 0 as not given", () => {
    const m = parseImageManifest({ acKind: "ImageManifest", acVersion: "0.8.11", name: "a", dependencies: [{ imageName: "b", size: 0 }, { imageName: "c", size: 7 }] });
    assert.deepEqual(m.dependencies, [{ imageName: "b", labels: [] }, { imageName: "c", labels: [], size: 7 }]);
  });
});

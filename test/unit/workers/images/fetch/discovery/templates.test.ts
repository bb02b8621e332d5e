import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { imageEndpoints, pubkeyUrls, renderTemplate, templateVars } from "../../../../../../workers/images/fetch/discovery/templates.js";

describe("renderTemplate", () => {
  it("replaces name, version, os, arch and ext literally", () => {
    const out = renderTemplate("https://a.com/{name}-{version}-{os}-{arch}.{ext}", {
      name: "a.com/app", version: "1.0", os: "linux", arch: "amd64", ext: "aci",
    });
    assert.equal(out, "https://a.com/a.com/app-1.0-linux-amd64.aci");
  });

  it("fills any label as a variable, every time it appears", () => {
    assert.equal(renderTemplate("https://x/{env}/{env}/{name}.{ext}", { env: "canary", name: "n", ext: "aci" }), "https://x/canary/canary/n.aci");
  });

  it("gives undefined when a variable has no value", () => {
    assert.equal(renderTemplate("https://x/{name}-{os}.{ext}", { name: "n", ext: "aci" }), undefined);
  });

  it("gives undefined when empty braces remain, as the Go code treats any {...} as unfilled", () => {
    assert.equal(renderTemplate("https://x/{name}{}.{ext}", { name: "n", ext: "aci" }), undefined);
  });

  it("does not read values as templates again, so a value cannot pull in another variable", () => {
    assert.equal(renderTemplate("https://x/{a}", { a: "{b}", b: "oops" }), undefined);
    assert.equal(renderTemplate("https://x/{a}-{b}", { a: "A", b: "B" }), "https://x/A-B");
  });

  it("treats values as plain text, not as replacement patterns", () => {
    assert.equal(renderTemplate("https://x/{v}", { v: "$&$1" }), "https://x/$&$1");
  });

  it("leaves a template without variables unchanged", () => {
    assert.equal(renderTemplate("https://x/fixed.aci", {}), "https://x/fixed.aci");
  });
});

describe("templateVars", () => {
  const host = { os: "linux", arch: "amd64" };

  it("defaults version to latest and takes os and arch from the host", () => {
    assert.deepEqual(templateVars({ name: "a.com/app", labels: [] }, host), { version: "latest", os: "linux", arch: "amd64", name: "a.com/app" });
  });

  it("lets labels give version, os, arch and any other variable", () => {
    const vars = templateVars({ name: "a.com/app", labels: [{ name: "version", value: "2" }, { name: "os", value: "freebsd" }, { name: "arch", value: "i386" }, { name: "env", value: "prod" }] }, host);
    assert.deepEqual(vars, { version: "2", os: "freebsd", arch: "i386", env: "prod", name: "a.com/app" });
  });

  it("treats an empty version label as latest, as Go does", () => {
    assert.equal(templateVars({ name: "n", labels: [{ name: "version", value: "" }] }, host).version, "latest");
  });

  it("never lets a label called name replace the image name", () => {
    assert.equal(templateVars({ name: "a.com/app", labels: [{ name: "name", value: "evil" }] }, host).name, "a.com/app");
  });
});

describe("imageEndpoints", () => {
  const vars = { name: "a.com/app", version: "1", os: "linux", arch: "amd64" };

  it("renders each matching template for the image and its signature, in document order", () => {
    const out = imageEndpoints({
      images: [
        { prefix: "a.com", template: "https://one/{name}-{version}.{ext}" },
        { prefix: "b.com", template: "https://other/{name}.{ext}" },
        { prefix: "a.com/app", template: "hdfs://two/{os}/{arch}.{ext}" },
      ],
      pubkeys: [],
    }, "a.com/app", vars);
    assert.deepEqual(out.aci, ["https://one/a.com/app-1.aci", "hdfs://two/linux/amd64.aci"]);
    assert.deepEqual(out.asc, ["https://one/a.com/app-1.aci.asc", "hdfs://two/linux/amd64.aci.asc"]);
    assert.deepEqual(out.skipped, []);
  });

  it("skips a template that needs a label the image does not have, and says which", () => {
    const out = imageEndpoints({ images: [{ prefix: "a.com", template: "https://x/{name}-{channel}.{ext}" }, { prefix: "a.com", template: "https://y/{name}.{ext}" }], pubkeys: [] }, "a.com/app", vars);
    assert.deepEqual(out.aci, ["https://y/a.com/app.aci"]);
    assert.deepEqual(out.skipped, [{ template: "https://x/{name}-{channel}.{ext}", missing: ["channel"] }]);
  });

  it("matches prefixes as plain strings, as the Go reference does", () => {
    const out = imageEndpoints({ images: [{ prefix: "a.com/ap", template: "https://x/{name}.{ext}" }], pubkeys: [] }, "a.com/app", vars);
    assert.deepEqual(out.aci, ["https://x/a.com/app.aci"]);
  });
});

describe("pubkeyUrls", () => {
  it("keeps the key URLs whose prefix covers the name, in document order", () => {
    const urls = pubkeyUrls({ images: [], pubkeys: [{ prefix: "a.com", url: "https://a.com/k1" }, { prefix: "b.com", url: "https://b/k" }, { prefix: "a.com/app", url: "https://a.com/k2" }] }, "a.com/app");
    assert.deepEqual(urls, ["https://a.com/k1", "https://a.com/k2"]);
  });
});

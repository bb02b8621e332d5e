import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { formatImageName, labelValue, LabelsSchema, VALID_OS_ARCH } from "../../../../machines/appc/index.js";

function labelErrors(labels: unknown): string[] {
  const result = LabelsSchema.safeParse(labels);
  return result.success ? [] : result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
}

describe("labels", () => {
  it("accepts every os/arch pair of the Go whitelist", () => {
    for (const [os, arches] of Object.entries(VALID_OS_ARCH)) {
      for (const arch of arches) assert.deepEqual(labelErrors([{ name: "os", value: os }, { name: "arch", value: arch }]), [], `${os}/${arch}`);
    }
  });

  it("checks arch only when os is present", () => {
    assert.deepEqual(labelErrors([{ name: "arch", value: "whatever" }]), []);
    assert.deepEqual(labelErrors([{ name: "arch", value: "x86_64" }, { name: "os", value: "darwin" }]), []);
    assert.deepEqual(labelErrors([{ name: "arch", value: "x86_64" }, { name: "os", value: "linux" }]), [
      "0.value: bad arch \"x86_64\" for linux (must be one of: [amd64 i386 aarch64 aarch64_be armv6l armv7l armv7b ppc64 ppc64le s390x])",
    ]);
  });

  it("rejects an os outside the whitelist, listing the known ones", () => {
    assert.deepEqual(labelErrors([{ name: "os", value: "Linux" }]), ['0.value: bad os "Linux" (must be one of: [darwin freebsd linux])']);
  });

  it("never allows a label called name, nor the same name twice", () => {
    assert.deepEqual(labelErrors([{ name: "name", value: "x" }]), ['0.name: invalid label name: "name"']);
    assert.deepEqual(labelErrors([{ name: "a", value: "1" }, { name: "a", value: "2" }]), ['1.name: duplicate labels of name "a"']);
  });

  it("reads keys in any case and a missing value as empty", () => {
    assert.deepEqual(LabelsSchema.parse([{ NAME: "version", Value: "1" }, { name: "channel" }]), [
      { name: "version", value: "1" },
      { name: "channel", value: "" },
    ]);
  });

  it("finds a label's value by name", () => {
    const labels = [{ name: "version", value: "1.0" }, { name: "os", value: "linux" }];
    assert.equal(labelValue(labels, "os"), "linux");
    assert.equal(labelValue(labels, "arch"), undefined);
  });

  it("renders a name with its version after a colon and other labels sorted after commas", () => {
    const labels = [{ name: "os", value: "linux" }, { name: "version", value: "1.0" }, { name: "arch", value: "amd64" }];
    assert.equal(formatImageName("example.com/app", labels), "example.com/app:1.0,arch=amd64,os=linux");
    assert.equal(formatImageName("example.com/app", [{ name: "os", value: "linux" }]), "example.com/app,os=linux");
    assert.equal(formatImageName("example.com/app", []), "example.com/app");
  });
});

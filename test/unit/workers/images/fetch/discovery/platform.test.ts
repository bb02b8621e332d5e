import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { hostArch, hostOs } from "../../../../../../workers/images/fetch/discovery/platform.js";

describe("hostOs and hostArch", () => {
  it("name linux and freebsd as appc does", () => {
    assert.equal(hostOs("linux"), "linux");
    assert.equal(hostOs("freebsd"), "freebsd");
  });

  it("map Node's arch names to appc's", () => {
    assert.equal(hostArch("x64", { platform: "linux" }), "amd64");
    assert.equal(hostArch("x64", { platform: "freebsd" }), "amd64");
    assert.equal(hostArch("x64", { platform: "darwin" }), "x86_64");
    assert.equal(hostArch("arm64", { platform: "linux" }), "aarch64");
    assert.equal(hostArch("ia32", { platform: "linux" }), "i386");
    assert.equal(hostArch("arm", { platform: "linux", armVersion: "6" }), "armv6l");
    assert.equal(hostArch("arm", { platform: "linux", armVersion: "7" }), "armv7l");
    assert.equal(hostArch("arm", { platform: "freebsd" }), "arm");
    assert.equal(hostArch("ppc64", { platform: "linux", endianness: "LE" }), "ppc64le");
    assert.equal(hostArch("s390x", { platform: "linux" }), "s390x");
  });

  it("describe this machine with names from the appc os/arch list", () => {
    assert.equal(hostOs(), process.platform);
    assert.ok(["amd64", "aarch64", "i386", "armv6l", "armv7l", "ppc64", "ppc64le", "s390x", "x86_64", "arm"].includes(hostArch()), hostArch());
  });
});

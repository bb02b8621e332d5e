import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { JetpackError } from "../../../../../machines/errors.js";
import { checkBridgeName, hostVethName, isPodNetnsName, MAX_IFNAME, netnsName, netnsPath } from "../../../../../workers/host/network/names.js";

const UUID = "3F2504E0-4F89-11D3-9A0C-0305E82C3301";

describe("pod network names", () => {
  it("names the namespace jetpack- and the first 12 hex digits of the UUID, lower case", () => {
    assert.equal(netnsName(UUID), "jetpack-3f2504e04f89");
    assert.equal(netnsPath(UUID), "/run/netns/jetpack-3f2504e04f89");
  });

  it("names the host veth jp and the first 11 hex digits, within the 15-byte interface limit", () => {
    const name = hostVethName(UUID);
    assert.equal(name, "jp3f2504e04f8");
    assert.ok(name.length <= MAX_IFNAME);
  });

  it("derives the same names from a UUID written without dashes", () => {
    assert.equal(netnsName(UUID.replaceAll("-", "")), netnsName(UUID));
    assert.equal(hostVethName(UUID.replaceAll("-", "")), hostVethName(UUID));
  });

  it("refuses something that is not a UUID, so no name can escape /run/netns", () => {
    for (const bad of ["", "../../etc", "3f2504e0-4f89-11d3-9a0c", "zz2504e0-4f89-11d3-9a0c-0305e82c3301"]) {
      assert.throws(() => netnsName(bad), (err: unknown) => err instanceof JetpackError && err.code === "JP_ERR_NETWORK_POD_UUID" && err.message.includes(JSON.stringify(bad)));
    }
  });

  it("recognises only Jetpack pod namespaces among the host's named namespaces", () => {
    assert.equal(isPodNetnsName("jetpack-3f2504e04f89"), true);
    assert.equal(isPodNetnsName("jetpack-3f2504e04f8"), false);
    assert.equal(isPodNetnsName("cni-1234"), false);
    assert.equal(isPodNetnsName("jetpack-3F2504E04F89"), false);
  });

  it("accepts bridge names the kernel accepts and refuses the rest with a hint", () => {
    assert.equal(checkBridgeName("jetpack0"), "jetpack0");
    assert.equal(checkBridgeName("br-test_1.2"), "br-test_1.2");
    for (const bad of ["", "a".repeat(16), "bad name", "a/b", ".."]) {
      assert.throws(() => checkBridgeName(bad), (err: unknown) => err instanceof JetpackError && err.code === "JP_ERR_NETWORK_BRIDGE_NAME" && err.kind === "invalid");
    }
  });
});

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  addBridgeArgs,
  addNetnsArgs,
  addVethArgs,
  attachToBridgeArgs,
  classifyIp,
  defaultRouteArgs,
  deleteLinkArgs,
  deleteNetnsArgs,
  flushAddrArgs,
  isAbsent,
  linkUpArgs,
  parseLinkState,
  parseNetnsList,
  replaceAddrArgs,
  showLinkArgs,
} from "../../../../../workers/host/network/args.js";

const failed = (stderr: string) => ({ code: 1, stdout: "", stderr });

describe("ip argv for the pod network", () => {
  it("creates the bridge, gives it the gateway address idempotently and brings it up", () => {
    assert.deepEqual(addBridgeArgs("jetpack0"), ["link", "add", "name", "jetpack0", "type", "bridge"]);
    assert.deepEqual(replaceAddrArgs("172.29.0.1/24", "jetpack0"), ["addr", "replace", "172.29.0.1/24", "dev", "jetpack0"]);
    assert.deepEqual(linkUpArgs("jetpack0"), ["link", "set", "dev", "jetpack0", "up"]);
  });

  it("creates the veth pair with the pod end born inside the namespace as eth0", () => {
    assert.deepEqual(addVethArgs("jp3f2504e04f8", "jetpack-3f2504e04f89"), [
      "link", "add", "name", "jp3f2504e04f8", "type", "veth", "peer", "name", "eth0", "netns", "jetpack-3f2504e04f89",
    ]);
  });

  it("runs the pod-side steps inside the namespace with -n", () => {
    assert.deepEqual(replaceAddrArgs("172.29.0.2/24", "eth0", "jetpack-x"), ["-n", "jetpack-x", "addr", "replace", "172.29.0.2/24", "dev", "eth0"]);
    assert.deepEqual(flushAddrArgs("eth0", "jetpack-x"), ["-n", "jetpack-x", "-4", "addr", "flush", "dev", "eth0"]);
    assert.deepEqual(linkUpArgs("lo", "jetpack-x"), ["-n", "jetpack-x", "link", "set", "dev", "lo", "up"]);
    assert.deepEqual(defaultRouteArgs("172.29.0.1", "jetpack-x"), ["-n", "jetpack-x", "route", "replace", "default", "via", "172.29.0.1", "dev", "eth0"]);
    assert.deepEqual(showLinkArgs("eth0", "jetpack-x"), ["-j", "-d", "-n", "jetpack-x", "addr", "show", "dev", "eth0"]);
  });

  it("attaches the host end to the bridge and brings it up in one call", () => {
    assert.deepEqual(attachToBridgeArgs("jp3f2504e04f8", "jetpack0"), ["link", "set", "dev", "jp3f2504e04f8", "master", "jetpack0", "up"]);
  });

  it("adds and deletes named namespaces and deletes links", () => {
    assert.deepEqual(addNetnsArgs("jetpack-x"), ["netns", "add", "jetpack-x"]);
    assert.deepEqual(deleteNetnsArgs("jetpack-x"), ["netns", "del", "jetpack-x"]);
    assert.deepEqual(deleteLinkArgs("jp1"), ["link", "del", "dev", "jp1"]);
  });
});

describe("reading ip's answers", () => {
  it("reads a veth attached to a bridge with its IPv4 addresses, ignoring IPv6", () => {
    const out = JSON.stringify([
      {
        ifname: "jp3f2504e04f8",
        flags: ["BROADCAST", "MULTICAST", "UP", "LOWER_UP"],
        master: "jetpack0",
        linkinfo: { info_kind: "veth", info_slave_kind: "bridge" },
        addr_info: [
          { family: "inet", local: "10.1.2.3", prefixlen: 24 },
          { family: "inet6", local: "fe80::1", prefixlen: 64 },
        ],
      },
    ]);
    assert.deepEqual(parseLinkState(out), { name: "jp3f2504e04f8", up: true, master: "jetpack0", kind: "veth", ipv4: ["10.1.2.3/24"] });
  });

  it("reads a plain device that is down as kind null and not up", () => {
    const out = JSON.stringify([{ ifname: "eth1", flags: ["BROADCAST"], addr_info: [] }]);
    assert.deepEqual(parseLinkState(out), { name: "eth1", up: false, master: null, kind: null, ipv4: [] });
  });

  it("reads empty or broken output as no interface", () => {
    assert.equal(parseLinkState(""), undefined);
    assert.equal(parseLinkState("[]"), undefined);
    assert.equal(parseLinkState("{not json"), undefined);
  });

  it("lists namespaces with or without their ids", () => {
    assert.deepEqual(parseNetnsList("jetpack-3f2504e04f89 (id: 3)\ncni-1\njetpack-aaaaaaaaaaaa\n\n"), ["jetpack-3f2504e04f89", "cni-1", "jetpack-aaaaaaaaaaaa"]);
  });

  it("treats a missing device or namespace as absent, and other failures as real", () => {
    assert.equal(isAbsent(failed('Cannot find device "jp1"')), true);
    assert.equal(isAbsent(failed('Device "jp1" does not exist.')), true);
    assert.equal(isAbsent(failed('Cannot remove namespace file "/run/netns/jetpack-x": No such file or directory')), true);
    assert.equal(isAbsent(failed('Cannot open network namespace "jetpack-x": No such file or directory')), true);
    assert.equal(isAbsent(failed("RTNETLINK answers: Operation not permitted")), false);
  });

  it("classifies permission failures and name clashes", () => {
    assert.equal(classifyIp(failed("RTNETLINK answers: Operation not permitted")).kind, "permission_denied");
    assert.equal(classifyIp(failed("RTNETLINK answers: File exists")).kind, "conflict");
    assert.equal(classifyIp(failed("Error: argument is wrong")).code, "JP_ERR_NETWORK_COMMAND");
  });
});

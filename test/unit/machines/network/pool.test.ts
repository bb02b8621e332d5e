import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { JetpackError } from "../../../../machines/errors.js";
import { addressInPool, DEFAULT_POD_POOL, ipv4ToNumber, numberToIpv4, parsePool, pickAddress, poolExhausted } from "../../../../machines/network/pool.js";

function assertPoolInvalid(cidr: string, mentions: string): void {
  assert.throws(
    () => parsePool(cidr),
    (err: unknown) => err instanceof JetpackError && err.kind === "invalid" && err.code === "JP_ERR_NETWORK_POOL_INVALID" && err.message.includes(mentions),
  );
}

describe("pod address pool: parsing", () => {
  it("reads the default pool as gateway .1 and pod addresses .2 to .254", () => {
    const pool = parsePool(DEFAULT_POD_POOL);
    assert.deepEqual(pool, {
      cidr: "172.29.0.0/24",
      network: "172.29.0.0",
      prefixLength: 24,
      gateway: "172.29.0.1",
      firstPodAddress: "172.29.0.2",
      lastPodAddress: "172.29.0.254",
      broadcast: "172.29.0.255",
      podAddressCount: 253,
    });
  });

  it("accepts a /30 with exactly one pod address", () => {
    const pool = parsePool("10.0.0.4/30");
    assert.equal(pool.gateway, "10.0.0.5");
    assert.equal(pool.firstPodAddress, "10.0.0.6");
    assert.equal(pool.lastPodAddress, "10.0.0.6");
    assert.equal(pool.broadcast, "10.0.0.7");
    assert.equal(pool.podAddressCount, 1);
  });

  it("accepts a /8 spanning sixteen million addresses", () => {
    const pool = parsePool("10.0.0.0/8");
    assert.equal(pool.lastPodAddress, "10.255.255.254");
    assert.equal(pool.podAddressCount, 2 ** 24 - 3);
  });

  it("refuses prefixes outside /8 to /30, naming the value", () => {
    assertPoolInvalid("10.0.0.0/31", "10.0.0.0/31");
    assertPoolInvalid("10.0.0.0/32", "/32");
    assertPoolInvalid("10.0.0.0/7", "/7");
    assertPoolInvalid("0.0.0.0/0", "0.0.0.0/0");
  });

  it("refuses text that is not IPv4 CIDR", () => {
    for (const bad of ["", "172.29.0.0", "172.29.0/24", "172.29.0.256/24", "172.29.00.0/24", "fd00::/64", "172.29.0.0/24 ", "a.b.c.d/24", "172.29.0.0/"]) {
      assertPoolInvalid(bad, JSON.stringify(bad));
    }
  });

  it("refuses an address with host bits set and suggests the network address", () => {
    assert.throws(
      () => parsePool("172.29.0.5/24"),
      (err: unknown) => err instanceof JetpackError && err.code === "JP_ERR_NETWORK_POOL_INVALID" && (err.hint ?? "").includes("172.29.0.0/24"),
    );
  });
});

describe("pod address pool: picking addresses", () => {
  const pool = parsePool("192.168.7.0/29");

  it("gives the first pod the address right after the gateway", () => {
    assert.equal(pickAddress(pool, new Set()), "192.168.7.2");
  });

  it("gives the lowest address no pod holds, filling gaps left by destroyed pods", () => {
    assert.equal(pickAddress(pool, new Set(["192.168.7.2", "192.168.7.4"])), "192.168.7.3");
    assert.equal(pickAddress(pool, new Set(["192.168.7.2", "192.168.7.3"])), "192.168.7.4");
  });

  it("ignores taken addresses from outside the pool", () => {
    assert.equal(pickAddress(pool, new Set(["10.0.0.2", "192.168.7.1"])), "192.168.7.2");
  });

  it("answers undefined once every pod address is taken, never the broadcast address", () => {
    const all = new Set(["192.168.7.2", "192.168.7.3", "192.168.7.4", "192.168.7.5", "192.168.7.6"]);
    assert.equal(pickAddress(pool, all), undefined);
  });

  it("is deterministic: the same pool and leases give the same address", () => {
    const taken = new Set(["192.168.7.3"]);
    assert.equal(pickAddress(pool, taken), pickAddress(pool, new Set(taken)));
  });

  it("finds a free address quickly in a /8 whatever its size", () => {
    const big = parsePool("10.0.0.0/8");
    assert.equal(pickAddress(big, new Set(["10.0.0.2", "10.0.0.3"])), "10.0.0.4");
  });

  it("carries past an octet boundary", () => {
    const wide = parsePool("10.1.0.0/16");
    const taken = new Set<string>();
    for (let i = 2; i <= 255; i++) taken.add(`10.1.0.${i}`);
    assert.equal(pickAddress(wide, taken), "10.1.1.0");
  });
});

describe("pod address pool: membership and exhaustion", () => {
  const pool = parsePool("172.29.0.0/24");

  it("counts only pod addresses as in the pool", () => {
    assert.equal(addressInPool(pool, "172.29.0.2"), true);
    assert.equal(addressInPool(pool, "172.29.0.254"), true);
    assert.equal(addressInPool(pool, "172.29.0.0"), false);
    assert.equal(addressInPool(pool, "172.29.0.1"), false);
    assert.equal(addressInPool(pool, "172.29.0.255"), false);
    assert.equal(addressInPool(pool, "172.29.1.2"), false);
    assert.equal(addressInPool(pool, "not-an-ip"), false);
  });

  it("builds an exhaustion error that names the pool and suggests a larger --pod-network", () => {
    const err = poolExhausted(pool);
    assert.ok(err instanceof JetpackError);
    assert.equal(err.code, "JP_ERR_NETWORK_POOL_EXHAUSTED");
    assert.equal(err.kind, "conflict");
    assert.match(err.message, /172\.29\.0\.0\/24/);
    assert.match(err.hint ?? "", /--pod-network/);
  });

  it("converts addresses to numbers and back without loss", () => {
    for (const ip of ["0.0.0.0", "255.255.255.255", "10.251.3.77", "172.29.0.1"]) {
      assert.equal(numberToIpv4(ipv4ToNumber(ip) ?? -1), ip);
    }
  });
});

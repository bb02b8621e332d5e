// The pod address pool: an IPv4 network whose first usable address is the host's (the gateway, where the
// metadata service listens) and whose remaining usable addresses are leased to pods. Pure.
//
// The engine calls pickAddress inside its serialized step, so nothing here needs locking: the lowest free
// address is a function of the pool and the set of addresses already leased.
import { fail, type JetpackError } from "../errors.js";

export const DEFAULT_POD_POOL = "172.29.0.0/24";

/** The widest and narrowest pools accepted: /30 leaves exactly one pod address beside the gateway. */
export const MIN_POOL_PREFIX = 8;
export const MAX_POOL_PREFIX = 30;

export interface Pool {
  /** The pool as canonical CIDR text, e.g. `172.29.0.0/24`. */
  cidr: string;
  /** The network address, e.g. `172.29.0.0`. */
  network: string;
  prefixLength: number;
  /** The first usable address, held by the host: `172.29.0.1`. */
  gateway: string;
  /** The first address a pod may get: `172.29.0.2`. */
  firstPodAddress: string;
  /** The last address a pod may get, just below the broadcast address: `172.29.0.254`. */
  lastPodAddress: string;
  broadcast: string;
  /** How many addresses pods can lease. */
  podAddressCount: number;
}

/** Pure. Reads dotted-quad IPv4 text as a 32-bit number, or undefined when it is not one. */
export function ipv4ToNumber(text: string): number | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const part of parts) {
    // Leading zeros are refused: some tools read `010` as octal, so its meaning is ambiguous.
    if (!/^(0|[1-9][0-9]{0,2})$/.test(part)) return undefined;
    const octet = Number(part);
    if (octet > 255) return undefined;
    n = n * 256 + octet;
  }
  return n;
}

/** Pure. Writes a 32-bit number as dotted-quad IPv4 text. */
export function numberToIpv4(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join(".");
}

function poolInvalid(cidr: string, why: string, hint?: string): JetpackError {
  return fail("invalid", "JP_ERR_NETWORK_POOL_INVALID", `invalid pod network ${JSON.stringify(cidr)}: ${why}`, {
    hint: hint ?? `Give an IPv4 network in CIDR form with a prefix from /${MIN_POOL_PREFIX} to /${MAX_POOL_PREFIX}, such as ${DEFAULT_POD_POOL}.`,
  });
}

/** Pure. Parses an IPv4 CIDR into a pool; throws invalid JP_ERR_NETWORK_POOL_INVALID naming the bad value. */
export function parsePool(cidr: string): Pool {
  const match = /^([0-9.]+)\/([0-9]{1,2})$/.exec(cidr);
  if (!match) throw poolInvalid(cidr, "not of the form a.b.c.d/prefix");
  const address = ipv4ToNumber(match[1] ?? "");
  if (address === undefined) throw poolInvalid(cidr, `${JSON.stringify(match[1])} is not an IPv4 address`);
  const prefixLength = Number(match[2]);
  if (prefixLength < MIN_POOL_PREFIX || prefixLength > MAX_POOL_PREFIX) {
    throw poolInvalid(cidr, `prefix /${prefixLength} is outside /${MIN_POOL_PREFIX}../${MAX_POOL_PREFIX}`);
  }
  const size = 2 ** (32 - prefixLength);
  const network = address - (address % size);
  if (network !== address) {
    const canonical = `${numberToIpv4(network)}/${prefixLength}`;
    throw poolInvalid(cidr, "the address has host bits set", `Write the network address itself: ${canonical}.`);
  }
  return {
    cidr: `${numberToIpv4(network)}/${prefixLength}`,
    network: numberToIpv4(network),
    prefixLength,
    gateway: numberToIpv4(network + 1),
    firstPodAddress: numberToIpv4(network + 2),
    lastPodAddress: numberToIpv4(network + size - 2),
    broadcast: numberToIpv4(network + size - 1),
    podAddressCount: size - 3,
  };
}

/** Pure. True when `ip` is one a pod of this pool may hold (not the network, gateway or broadcast address). */
export function addressInPool(pool: Pool, ip: string): boolean {
  const n = ipv4ToNumber(ip);
  if (n === undefined) return false;
  const first = ipv4ToNumber(pool.firstPodAddress) ?? 0;
  const last = ipv4ToNumber(pool.lastPodAddress) ?? -1;
  return n >= first && n <= last;
}

/** Pure. The lowest pod address of the pool not in `taken`, or undefined when every one is taken. */
export function pickAddress(pool: Pool, taken: ReadonlySet<string>): string | undefined {
  const first = ipv4ToNumber(pool.firstPodAddress) ?? 0;
  const last = ipv4ToNumber(pool.lastPodAddress) ?? -1;
  // Only addresses inside the range can block one, so the loop ends within |taken| + 1 steps.
  for (let n = first; n <= last; n++) {
    const ip = numberToIpv4(n);
    if (!taken.has(ip)) return ip;
  }
  return undefined;
}

/**
 * Pure. The error for a pool with no free address left. A conflict, not `unavailable`: retrying changes
 * nothing until a pod is destroyed or the pool is widened.
 */
export function poolExhausted(pool: Pool): JetpackError {
  return fail("conflict", "JP_ERR_NETWORK_POOL_EXHAUSTED", `pod network ${pool.cidr} has no free address: all ${pool.podAddressCount} pod addresses are leased or answering`, {
    hint: "Destroy pods you no longer need, or run the daemon with a larger --pod-network (e.g. a /16).",
    details: { pool: pool.cidr, podAddressCount: pool.podAddressCount },
  });
}

// iproute2 command lines for the pod network, and readers of what `ip` prints. Pure.
//
// Every mutation is written in its idempotent form where iproute2 has one (`addr replace`, `route
// replace`, `link set ... up`), so a job that runs twice changes nothing the second time.
import { fail, type JetpackError } from "../../../machines/errors.js";
import type { ExecResult } from "../exec.js";
import { POD_INTERFACE } from "./names.js";

/** Pure. `-n <netns>` when the command runs inside a named namespace. */
function inNetns(netns: string | undefined): string[] {
  return netns === undefined ? [] : ["-n", netns];
}

/** Pure. Shows one interface and its addresses as JSON (`ip -j addr show dev X`). */
export function showLinkArgs(dev: string, netns?: string): string[] {
  return ["-j", "-d", ...inNetns(netns), "addr", "show", "dev", dev];
}

/** Pure. Creates a bridge. */
export function addBridgeArgs(bridge: string): string[] {
  return ["link", "add", "name", bridge, "type", "bridge"];
}

/** Pure. Gives an interface an address; `replace` does nothing when it already has it. */
export function replaceAddrArgs(cidr: string, dev: string, netns?: string): string[] {
  return [...inNetns(netns), "addr", "replace", cidr, "dev", dev];
}

/** Pure. Removes every IPv4 address of an interface (before giving it the one it should have). */
export function flushAddrArgs(dev: string, netns?: string): string[] {
  return [...inNetns(netns), "-4", "addr", "flush", "dev", dev];
}

/** Pure. Brings an interface up. */
export function linkUpArgs(dev: string, netns?: string): string[] {
  return [...inNetns(netns), "link", "set", "dev", dev, "up"];
}

/** Pure. Attaches an interface to a bridge and brings it up. */
export function attachToBridgeArgs(dev: string, bridge: string): string[] {
  return ["link", "set", "dev", dev, "master", bridge, "up"];
}

/** Pure. Deletes an interface (a veth takes its peer with it). */
export function deleteLinkArgs(dev: string, netns?: string): string[] {
  return [...inNetns(netns), "link", "del", "dev", dev];
}

/**
 * Pure. Creates the veth pair with its pod end born inside the namespace as `eth0`: one call, so a crash
 * leaves either both ends or neither, and the name never clashes with the host's own eth0.
 */
export function addVethArgs(hostVeth: string, netns: string): string[] {
  return ["link", "add", "name", hostVeth, "type", "veth", "peer", "name", POD_INTERFACE, "netns", netns];
}

/** Pure. Points the pod's default route at the gateway; `replace` makes it idempotent. */
export function defaultRouteArgs(gateway: string, netns: string): string[] {
  return [...inNetns(netns), "route", "replace", "default", "via", gateway, "dev", POD_INTERFACE];
}

/** Pure. Creates a named network namespace (bound at /run/netns/<name>). */
export function addNetnsArgs(name: string): string[] {
  return ["netns", "add", name];
}

/** Pure. Removes a named network namespace (the namespace lives on while a process is still in it). */
export function deleteNetnsArgs(name: string): string[] {
  return ["netns", "del", name];
}

/** Pure. Lists named network namespaces. */
export function listNetnsArgs(): string[] {
  return ["netns", "list"];
}

/** What `showLinkArgs` tells about an interface. */
export interface LinkState {
  name: string;
  up: boolean;
  /** The bridge it is attached to, if any. */
  master: string | null;
  /** `bridge`, `veth`, ... or null for a plain device. */
  kind: string | null;
  /** IPv4 addresses as `a.b.c.d/prefix`. */
  ipv4: string[];
}

interface IpAddrJson {
  ifname?: unknown;
  flags?: unknown;
  master?: unknown;
  linkinfo?: { info_kind?: unknown };
  addr_info?: Array<{ family?: unknown; local?: unknown; prefixlen?: unknown }>;
}

/** Pure. Reads `ip -j -d addr show dev X` output; undefined when it names no interface. */
export function parseLinkState(stdout: string): LinkState | undefined {
  let rows: unknown;
  try {
    rows = JSON.parse(stdout);
  } catch {
    return undefined;
  }
  if (!Array.isArray(rows) || rows.length === 0) return undefined;
  const row = rows[0] as IpAddrJson;
  if (typeof row.ifname !== "string") return undefined;
  const flags = Array.isArray(row.flags) ? row.flags : [];
  const ipv4 = (row.addr_info ?? [])
    .filter((a) => a.family === "inet" && typeof a.local === "string" && typeof a.prefixlen === "number")
    .map((a) => `${String(a.local)}/${String(a.prefixlen)}`);
  return {
    name: row.ifname,
    up: flags.includes("UP"),
    master: typeof row.master === "string" ? row.master : null,
    kind: typeof row.linkinfo?.info_kind === "string" ? row.linkinfo.info_kind : null,
    ipv4,
  };
}

/** Pure. Reads `ip netns list`: one namespace a line, optionally followed by ` (id: N)`. */
export function parseNetnsList(stdout: string): string[] {
  return stdout
    .split("\n")
    .map((line) => line.trim().split(/\s+/)[0] ?? "")
    .filter((name) => name !== "");
}

/** Pure. True when `ip` failed only because the device or namespace it was asked about is absent. */
export function isAbsent(r: ExecResult): boolean {
  return /does not exist|Cannot find device|No such file or directory|Invalid "netns" value/i.test(r.stderr);
}

/** Pure. Maps a failed `ip` run to a Jetpack error kind: permissions, then a busy or clashing name, else internal. */
export function classifyIp(r: ExecResult): { kind: "permission_denied" | "conflict" | "internal"; code: string; hint?: string } {
  if (/Operation not permitted|Permission denied/i.test(r.stderr)) {
    return { kind: "permission_denied", code: "JP_ERR_NETWORK_PERMISSION", hint: "Pod networking needs root (CAP_NET_ADMIN); run the daemon as root." };
  }
  if (/File exists|already exists/i.test(r.stderr)) return { kind: "conflict", code: "JP_ERR_NETWORK_EXISTS" };
  return { kind: "internal", code: "JP_ERR_NETWORK_COMMAND" };
}

/** Pure. The error for an interface that exists under our name but is not what we would have made. */
export function foreignInterface(name: string, what: string, found: LinkState): JetpackError {
  return fail("conflict", "JP_ERR_NETWORK_INTERFACE_CONFLICT", `interface ${name} exists but is ${found.kind ?? "a plain device"}, not ${what}`, {
    hint: `Remove or rename ${name} (ip link del ${name}), or choose another name.`,
  });
}

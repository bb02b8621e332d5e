// A pod's network: a named namespace the pod sandbox joins, and a veth pair from the host bridge to the
// pod's eth0 holding its leased address, with the gateway as default route. Effects.
//
// Every step looks at what exists first, so a setup cut short by a crash is completed on the next run
// and a setup run twice (BullMQ is at-least-once) changes nothing, even under a running pod.
import { addressInPool, type Pool } from "../../../machines/network/pool.js";
import { fail } from "../../../machines/errors.js";
import {
  addNetnsArgs,
  addVethArgs,
  attachToBridgeArgs,
  defaultRouteArgs,
  deleteLinkArgs,
  deleteNetnsArgs,
  flushAddrArgs,
  foreignInterface,
  linkUpArgs,
  listNetnsArgs,
  parseNetnsList,
  replaceAddrArgs,
} from "./args.js";
import { ensureBridge } from "./bridge.js";
import { ip, ipRemove, showLink } from "./ip.js";
import { DEFAULT_BRIDGE, hostVethName, isPodNetnsName, netnsName, netnsPath, POD_INTERFACE } from "./names.js";

export interface PodNetwork {
  /** `jetpack-<12 hex>`, for `ip netns exec` and `ip -n`. */
  netnsName: string;
  /** `/run/netns/jetpack-<12 hex>`: the file the pod sandbox opens and setns()-joins. */
  netnsPath: string;
  /** The host end of the veth pair, attached to the bridge. */
  hostVeth: string;
}

export interface PodNetworkRequest {
  uuid: string;
  /** The pod's leased address; must be one of the pool's pod addresses. */
  ip: string;
  pool: Pool;
  /** The host bridge; `jetpack0` when omitted. */
  bridge?: string;
}

/** Effects. The names of the named namespaces that belong to Jetpack pods (`jetpack-…`), sorted. */
export async function listPodNetworks(): Promise<string[]> {
  const r = await ip(listNetnsArgs());
  return parseNetnsList(r.stdout).filter(isPodNetnsName).sort();
}

async function ensureNetns(name: string): Promise<void> {
  const r = await ip(listNetnsArgs());
  if (!parseNetnsList(r.stdout).includes(name)) await ip(addNetnsArgs(name));
}

/** Makes sure the veth pair exists whole: host end on the host, pod end as eth0 in the namespace. */
async function ensureVethPair(hostVeth: string, netns: string): Promise<void> {
  const host = await showLink(hostVeth);
  if (host !== undefined && host.kind !== "veth") throw foreignInterface(hostVeth, "a pod's veth", host);
  const pod = await showLink(POD_INTERFACE, netns);
  if (host !== undefined && pod !== undefined) return;
  // Half a pair is no use: the other end went with an older namespace, or someone made an eth0 there.
  if (host !== undefined) await ipRemove(deleteLinkArgs(hostVeth));
  if (pod !== undefined) await ipRemove(deleteLinkArgs(POD_INTERFACE, netns));
  await ip(addVethArgs(hostVeth, netns));
}

/** Gives eth0 exactly the pod's address, touching nothing when it already has it (a running pod keeps its connections). */
async function ensurePodAddress(netns: string, cidr: string): Promise<void> {
  const eth0 = await showLink(POD_INTERFACE, netns);
  const current = eth0?.ipv4 ?? [];
  if (current.length === 1 && current[0] === cidr) return;
  if (current.length > 0) await ip(flushAddrArgs(POD_INTERFACE, netns));
  await ip(replaceAddrArgs(cidr, POD_INTERFACE, netns));
}

/**
 * Effects. Creates (or completes) the pod's network: the bridge if missing, the namespace, the veth pair
 * on the bridge, eth0 with `ip/prefix`, loopback, and the default route via the gateway. Throws invalid
 * JP_ERR_NETWORK_ADDRESS_OUTSIDE_POOL when `ip` is not one of the pool's pod addresses.
 */
export async function setupPodNetwork(req: PodNetworkRequest): Promise<PodNetwork> {
  if (!addressInPool(req.pool, req.ip)) {
    throw fail("invalid", "JP_ERR_NETWORK_ADDRESS_OUTSIDE_POOL", `pod ${req.uuid}: address ${req.ip} is not a pod address of ${req.pool.cidr}`, {
      hint: `Pod addresses run from ${req.pool.firstPodAddress} to ${req.pool.lastPodAddress}.`,
    });
  }
  const net: PodNetwork = { netnsName: netnsName(req.uuid), netnsPath: netnsPath(req.uuid), hostVeth: hostVethName(req.uuid) };
  const { bridge } = await ensureBridge({ pool: req.pool, bridge: req.bridge ?? DEFAULT_BRIDGE });
  await ensureNetns(net.netnsName);
  await ensureVethPair(net.hostVeth, net.netnsName);
  await ip(attachToBridgeArgs(net.hostVeth, bridge));
  await ip(linkUpArgs("lo", net.netnsName));
  await ensurePodAddress(net.netnsName, `${req.ip}/${req.pool.prefixLength}`);
  await ip(linkUpArgs(POD_INTERFACE, net.netnsName));
  await ip(defaultRouteArgs(req.pool.gateway, net.netnsName));
  return net;
}

/**
 * Effects. Removes the pod's veth pair and namespace; whatever is already gone is fine, so recovery and
 * destroy may call it blindly. A process still inside the namespace keeps it alive (without its veth)
 * until it exits; the name is free at once.
 */
export async function teardownPodNetwork(uuid: string): Promise<void> {
  const name = netnsName(uuid);
  await ipRemove(deleteLinkArgs(hostVethName(uuid)));
  await ipRemove(deleteNetnsArgs(name));
}

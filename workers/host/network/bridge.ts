// The host bridge every pod's veth joins; it holds the pool's gateway address, where the metadata service
// listens. Effects (apart from bridgeAddress).
//
// Pods only talk to the host, so nothing here turns on IP forwarding or touches the firewall.
import type { Pool } from "../../../machines/network/pool.js";
import { addBridgeArgs, deleteLinkArgs, foreignInterface, linkUpArgs, replaceAddrArgs } from "./args.js";
import { ip, ipRemove, showLink } from "./ip.js";
import { checkBridgeName, DEFAULT_BRIDGE } from "./names.js";

export interface BridgeState {
  bridge: string;
  /** The gateway address with the pool's prefix, e.g. `172.29.0.1/24`. */
  address: string;
  /** Whether this call made the bridge (false when it was already there). */
  created: boolean;
}

/** Pure. The address the bridge holds: the pool's gateway with the pool's prefix. */
export function bridgeAddress(pool: Pool): string {
  return `${pool.gateway}/${pool.prefixLength}`;
}

/**
 * Effects. Makes sure the bridge exists, holds the gateway address and is up; a bridge already in that
 * state is left alone. Throws conflict JP_ERR_NETWORK_INTERFACE_CONFLICT when the name is taken by
 * something that is not a bridge.
 */
export async function ensureBridge(opts: { pool: Pool; bridge?: string }): Promise<BridgeState> {
  const bridge = checkBridgeName(opts.bridge ?? DEFAULT_BRIDGE);
  const address = bridgeAddress(opts.pool);
  let state = await showLink(bridge);
  const created = state === undefined;
  if (state === undefined) {
    await ip(addBridgeArgs(bridge));
    state = await showLink(bridge);
  }
  if (state === undefined || state.kind !== "bridge") {
    throw foreignInterface(bridge, "a bridge", state ?? { name: bridge, up: false, master: null, kind: null, ipv4: [] });
  }
  if (!state.ipv4.includes(address)) await ip(replaceAddrArgs(address, bridge));
  if (!state.up) await ip(linkUpArgs(bridge));
  return { bridge, address, created };
}

/** Effects. Deletes the bridge (pods' veths are detached by the kernel); absent is fine. */
export async function removeBridge(bridge: string = DEFAULT_BRIDGE): Promise<void> {
  await ipRemove(deleteLinkArgs(checkBridgeName(bridge)));
}

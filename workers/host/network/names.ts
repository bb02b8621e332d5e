// The host names of a pod's network pieces, derived from its UUID so that recovery and destroy can find
// them without any saved state. Pure.
import { fail } from "../../../machines/errors.js";

export const DEFAULT_BRIDGE = "jetpack0";
export const NETNS_PREFIX = "jetpack-";
/** Where `ip netns add` binds a named namespace (iproute2's NETNS_RUN_DIR). */
export const NETNS_RUN_DIR = "/run/netns";
/** Linux interface names hold at most 15 bytes (IFNAMSIZ minus the NUL). */
export const MAX_IFNAME = 15;

/** Pure. The UUID's hex digits, lower case; throws invalid JP_ERR_NETWORK_POD_UUID when it is not a UUID. */
function uuidHex(uuid: string): string {
  if (!/^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$/.test(uuid)) {
    throw fail("invalid", "JP_ERR_NETWORK_POD_UUID", `pod network: ${JSON.stringify(uuid)} is not a pod UUID`);
  }
  return uuid.replaceAll("-", "").toLowerCase();
}

/** Pure. The pod's named network namespace: `jetpack-<first 12 hex digits of the UUID>`. */
export function netnsName(uuid: string): string {
  return NETNS_PREFIX + uuidHex(uuid).slice(0, 12);
}

/** Pure. The path the pod sandbox joins: `/run/netns/jetpack-…`. */
export function netnsPath(uuid: string): string {
  return `${NETNS_RUN_DIR}/${netnsName(uuid)}`;
}

/** Pure. The host end of the pod's veth pair: `jp<first 11 hex digits>`, 13 characters. */
export function hostVethName(uuid: string): string {
  return "jp" + uuidHex(uuid).slice(0, 11);
}

/** The interface name the pod sees. */
export const POD_INTERFACE = "eth0";

/** Pure. True when `name` is one of Jetpack's pod namespaces (`jetpack-` and 12 hex digits). */
export function isPodNetnsName(name: string): boolean {
  return /^jetpack-[0-9a-f]{12}$/.test(name);
}

/** Pure. Checks a bridge name the operator chose; throws invalid JP_ERR_NETWORK_BRIDGE_NAME otherwise. */
export function checkBridgeName(name: string): string {
  if (!/^[A-Za-z0-9_.-]+$/.test(name) || name.length > MAX_IFNAME || name === "." || name === "..") {
    throw fail("invalid", "JP_ERR_NETWORK_BRIDGE_NAME", `bridge name ${JSON.stringify(name)} is not a valid interface name`, {
      hint: `Use 1 to ${MAX_IFNAME} letters, digits, '.', '_' or '-', such as ${DEFAULT_BRIDGE}.`,
    });
  }
  return name;
}

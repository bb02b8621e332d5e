// Whether something already answers at an address before a pod is given it (original Jetpack's issue
// #22: on a bridged network pods were handed addresses other machines held). Effects, apart from the
// argument builders.
//
// Two active probes run side by side, each bounded by the timeout: an ICMP echo from the host (answers
// for the host's own addresses and anything routed) and, on the pod bridge, an ARP duplicate-address probe
// (answers even for a machine that drops ICMP). No neighbour cache is read: a stale entry left by a
// destroyed pod that once held the address must not count.
import { fail, JetpackError } from "../../../machines/errors.js";
import { ipv4ToNumber } from "../../../machines/network/pool.js";
import { runUnchecked } from "../exec.js";
import { showLink } from "./ip.js";
import { checkBridgeName, hostVethName, netnsName, POD_INTERFACE } from "./names.js";

export interface ProbeOptions {
  /** How long to wait for an answer; rounded up to whole seconds, as ping and arping count. Default 1000. */
  timeoutMs?: number;
  /** The pod bridge to send an ARP probe on; without it only ICMP is tried. */
  bridge?: string;
  /**
   * The UUID of the pod the address is meant for. When that pod's own eth0 already holds it (a setup
   * that ran before a crash), the answer would be the pod itself, so the address counts as free.
   */
  forPod?: string;
}

/** Pure. `ping` arguments: one echo, numeric, quiet, waiting `seconds` for the answer. */
export function pingArgs(address: string, seconds: number): string[] {
  return ["-n", "-q", "-c", "1", "-W", String(seconds), address];
}

/** Pure. busybox `arping` arguments for a duplicate-address probe on `dev` (sent from 0.0.0.0). */
export function arpingArgs(address: string, dev: string, seconds: number): string[] {
  return ["arping", "-D", "-f", "-c", "1", "-w", String(seconds), "-I", dev, address];
}

/** Pure. Reads arping's summary: true when at least one machine replied. */
export function arpingHeardReply(stdout: string): boolean {
  const m = /Received (\d+) response/.exec(stdout);
  return m !== null && Number(m[1]) > 0;
}

function isMissingCommand(err: unknown): boolean {
  return err instanceof JetpackError && err.code === "JP_ERR_EXEC_MISSING";
}

/** iputils `ping` when the host has it, else busybox's: both exit 0 only when an echo reply came back. */
async function pingAnswers(address: string, seconds: number, limitMs: number): Promise<boolean> {
  try {
    return (await runUnchecked("ping", pingArgs(address, seconds), { timeoutMs: limitMs })).code === 0;
  } catch (err) {
    if (!isMissingCommand(err)) return false;
  }
  try {
    return (await runUnchecked("busybox", ["ping", ...pingArgs(address, seconds)], { timeoutMs: limitMs })).code === 0;
  } catch (err) {
    if (isMissingCommand(err)) {
      throw fail("unavailable", "JP_ERR_NETWORK_PROBE_MISSING", "neither ping nor busybox is installed, so pod addresses cannot be checked before use", {
        hint: "Install iputils-ping (ops/setup.sh lists it).",
      });
    }
    return false;
  }
}

async function arpAnswers(address: string, bridge: string, seconds: number, limitMs: number): Promise<boolean> {
  if ((await showLink(bridge)) === undefined) return false;
  try {
    const r = await runUnchecked("busybox", arpingArgs(address, bridge, seconds), { timeoutMs: limitMs });
    return arpingHeardReply(r.stdout);
  } catch {
    return false; // no busybox: the ICMP probe still ran
  }
}

async function podHoldsAddress(uuid: string, address: string): Promise<boolean> {
  const eth0 = await showLink(POD_INTERFACE, netnsName(uuid));
  const host = await showLink(hostVethName(uuid));
  return host !== undefined && (eth0?.ipv4 ?? []).some((cidr) => cidr.split("/")[0] === address);
}

/**
 * Effects. True when something on the host's networks already answers at `address` (ICMP from the host,
 * plus ARP on `bridge` when given). Takes about `timeoutMs` when nothing answers, less when something does.
 */
export async function addressAnswers(address: string, opts: ProbeOptions = {}): Promise<boolean> {
  if (ipv4ToNumber(address) === undefined) {
    throw fail("invalid", "JP_ERR_NETWORK_ADDRESS", `${JSON.stringify(address)} is not an IPv4 address`);
  }
  if (opts.forPod !== undefined && (await podHoldsAddress(opts.forPod, address))) return false;
  // ping and arping wait whole seconds, but a neighbour on the same link answers within milliseconds: each
  // probe is ended at timeoutMs, and one that had no answer by then counts as no answer.
  const seconds = Math.max(1, Math.ceil((opts.timeoutMs ?? 1000) / 1000));
  const limitMs = opts.timeoutMs ?? 1000;
  const probes = [pingAnswers(address, seconds, limitMs)];
  if (opts.bridge !== undefined) probes.push(arpAnswers(address, checkBridgeName(opts.bridge), seconds, limitMs));
  const answers = await Promise.all(probes);
  return answers.some(Boolean);
}

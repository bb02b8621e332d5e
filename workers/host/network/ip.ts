// Running `ip` (iproute2) for the pod network: one place that classifies its failures and reads
// interfaces. Effects.
import { run, runUnchecked, type ExecResult } from "../exec.js";
import { classifyIp, isAbsent, parseLinkState, showLinkArgs, type LinkState } from "./args.js";

/** Effects. Runs `ip` with these arguments; throws a classified JetpackError when it fails. */
export function ip(args: readonly string[]): Promise<ExecResult> {
  return run("ip", args, { classify: classifyIp, timeoutMs: 30_000 });
}

/** Effects. Runs `ip` for a removal: an absent device or namespace counts as done. */
export async function ipRemove(args: readonly string[]): Promise<"removed" | "absent"> {
  const r = await runUnchecked("ip", args, { timeoutMs: 30_000 });
  if (r.code === 0) return "removed";
  if (isAbsent(r)) return "absent";
  await ip(args); // fails again, now with the classified error and ip's own words
  return "removed";
}

/** Effects. The interface's state, or undefined when it (or the namespace asked about) does not exist. */
export async function showLink(dev: string, netns?: string): Promise<LinkState | undefined> {
  const args = showLinkArgs(dev, netns);
  const r = await runUnchecked("ip", args, { timeoutMs: 30_000 });
  if (r.code !== 0) {
    if (isAbsent(r)) return undefined;
    await ip(args);
  }
  return parseLinkState(r.stdout);
}

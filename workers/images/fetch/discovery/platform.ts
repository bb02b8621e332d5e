// The host's os and arch in appc's words (the `os`/`arch` labels), from Node's names. Pure functions,
// with defaults read from the running process.
import { endianness } from "node:os";

/** Pure (given its argument). Node's platform as an appc os: linux, freebsd, darwin; others unchanged. */
export function hostOs(platform: string = process.platform): string {
  return platform;
}

export interface ArchContext {
  platform?: string;
  /** Node's `process.config.variables.arm_version` ("6", "7"). */
  armVersion?: string;
  endianness?: "BE" | "LE";
}

/**
 * Pure (given its arguments). Node's arch as an appc arch, following Go's mapping: x64 -> amd64
 * (x86_64 on darwin), arm64 -> aarch64, ia32 -> i386, arm -> armv6l/armv7l on linux (arm on freebsd),
 * ppc64 -> ppc64le when little-endian. Anything else is passed through.
 */
export function hostArch(arch: string = process.arch, ctx: ArchContext = currentContext()): string {
  const platform = ctx.platform ?? process.platform;
  switch (arch) {
    case "x64":
      return platform === "darwin" ? "x86_64" : "amd64";
    case "arm64":
      return "aarch64";
    case "ia32":
      return "i386";
    case "arm":
      if (platform === "freebsd") return "arm";
      return ctx.armVersion === "6" ? "armv6l" : "armv7l";
    case "ppc64":
      return ctx.endianness === "LE" ? "ppc64le" : "ppc64";
    default:
      return arch;
  }
}

function currentContext(): ArchContext {
  const variables = (process.config as { variables?: Record<string, unknown> }).variables ?? {};
  const armVersion = variables.arm_version;
  return {
    platform: process.platform,
    endianness: endianness(),
    ...(typeof armVersion === "string" || typeof armVersion === "number" ? { armVersion: String(armVersion) } : {}),
  };
}

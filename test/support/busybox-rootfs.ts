// An app rootfs for pod tests, made from Debian's static busybox (package busybox-static or busybox,
// whichever installed /usr/bin/busybox statically linked): /bin/busybox with a symlink per applet in
// /bin, /etc/passwd and /etc/group with user `app` (1000) and groups `app` (1000) and `extra` (2000),
// and a world-writable /tmp. Tests only.
import { execFileSync } from "node:child_process";
import { chmodSync, copyFileSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { appEnvironment } from "../../machines/pod/plan.js";
import type { PodRunSpec, RunApp, RunEventHandler, RunVolume } from "../../machines/pod/run-spec.js";

export const BUSYBOX = "/usr/bin/busybox";

export const PASSWD = "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n";
export const GROUP = "root:x:0:\napp:x:1000:\nextra:x:2000:app\nnogroup:x:65534:\n";

/** Makes `dir` an app rootfs; `withEtc: false` leaves out /etc/passwd and /etc/group. Returns `dir`. */
export function makeBusyboxRootfs(dir: string, opts: { withEtc?: boolean } = {}): string {
  const bin = join(dir, "bin");
  mkdirSync(bin, { recursive: true });
  copyFileSync(BUSYBOX, join(bin, "busybox"));
  chmodSync(join(bin, "busybox"), 0o755);
  const applets = execFileSync(BUSYBOX, ["--list"], { encoding: "utf8" }).split("\n").filter((a) => a !== "" && a !== "busybox");
  for (const applet of applets) symlinkSync("busybox", join(bin, applet));
  for (const d of ["etc", "proc", "sys", "dev", "root"]) mkdirSync(join(dir, d), { recursive: true });
  mkdirSync(join(dir, "tmp"), { recursive: true });
  chmodSync(join(dir, "tmp"), 0o1777);
  if (opts.withEtc !== false) {
    writeFileSync(join(dir, "etc", "passwd"), PASSWD);
    writeFileSync(join(dir, "etc", "group"), GROUP);
  }
  return dir;
}

export interface TestAppInput {
  name: string;
  exec: string[];
  user?: string;
  group?: string;
  supplementaryGids?: number[];
  workingDirectory?: string;
  readOnlyRootFS?: boolean;
  environment?: Array<{ name: string; value: string }>;
  eventHandlers?: RunEventHandler[];
  mounts?: Array<{ volume: string; target: string; readOnly?: boolean }>;
  /** false: a rootfs with no /etc/passwd nor /etc/group. */
  withEtc?: boolean;
}

/**
 * A PodRunSpec as planPod would make it, for pods of busybox apps under `podDir` (rootfs directories
 * made here, empty volumes created under `<podDir>/volumes`): what the pod machine hands the backend.
 */
export function busyboxPodSpec(input: { podDir: string; uuid: string; hostname?: string; apps: TestAppInput[]; hostVolumes?: Array<{ name: string; source: string; readOnly?: boolean; recursive?: boolean }>; emptyVolumes?: string[] }): PodRunSpec {
  const root = join(input.podDir, "rootfs");
  const volumes: RunVolume[] = [
    ...(input.emptyVolumes ?? []).map((name): RunVolume => {
      const source = join(input.podDir, "volumes", name);
      mkdirSync(source, { recursive: true, mode: 0o777 });
      chmodSync(source, 0o777);
      return { name, kind: "empty", source, readOnly: false, mode: "0777", uid: 0, gid: 0 };
    }),
    ...(input.hostVolumes ?? []).map((v): RunVolume => ({ name: v.name, kind: "host", source: v.source, readOnly: v.readOnly ?? false, mode: null, uid: null, gid: null })),
  ];
  const apps = input.apps.map((a, index): RunApp => {
    const rootfs = makeBusyboxRootfs(join(root, String(index)), { withEtc: a.withEtc ?? true });
    return {
      name: a.name,
      index,
      imageId: `sha512-${"0".repeat(32)}`,
      imageName: "example.com/busybox",
      os: "linux",
      rootfs,
      readOnlyRootFS: a.readOnlyRootFS ?? false,
      exec: a.exec,
      user: { user: a.user ?? "0", group: a.group ?? "0", supplementaryGids: a.supplementaryGids ?? [] },
      workingDirectory: a.workingDirectory ?? "/",
      environment: appEnvironment(a.name, "http://169.254.169.255/token", a.environment ?? []),
      eventHandlers: a.eventHandlers ?? [],
      mounts: (a.mounts ?? []).map((m) => {
        const volume = volumes.find((v) => v.name === m.volume);
        if (volume === undefined) throw new Error(`test pod: no volume ${m.volume}`);
        const host = input.hostVolumes?.find((v) => v.name === m.volume);
        return { source: volume.source, target: m.target, readOnly: (m.readOnly ?? false) || volume.readOnly, volume: m.volume, kind: volume.kind, recursive: host ? (host.recursive ?? true) : false };
      }),
      isolators: { enforced: [], ignored: [] },
    };
  });
  return { uuid: input.uuid, hostname: input.hostname ?? input.uuid, paths: { dir: input.podDir, root }, ip: null, apps, volumes, annotations: [], isolators: [] };
}

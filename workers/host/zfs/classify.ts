// zfs stderr -> error kind, in one place (DESIGN.md §6). Pure.
//
// The texts are libzfs's, shared by native OpenZFS and zfs-fuse (both descend from the same OpenSolaris
// code); the zfs-fuse-only ones are the daemon connection failure and the umount helper's messages.
import { JetpackError, type ErrorKind } from "../../../machines/errors.js";

export interface ZfsFailureClass {
  kind: ErrorKind;
  code: string;
  hint?: string;
}

export const ZFS_CODES = {
  daemonDown: "JP_ERR_ZFS_DAEMON_DOWN",
  permission: "JP_ERR_ZFS_PERMISSION",
  hasDependents: "JP_ERR_ZFS_HAS_DEPENDENTS",
  notFound: "JP_ERR_ZFS_NOT_FOUND",
  exists: "JP_ERR_ZFS_EXISTS",
  mountpoint: "JP_ERR_ZFS_MOUNTPOINT",
  notMounted: "JP_ERR_ZFS_NOT_MOUNTED",
  alreadyMounted: "JP_ERR_ZFS_ALREADY_MOUNTED",
  busy: "JP_ERR_ZFS_BUSY",
  badArgument: "JP_ERR_ZFS_BAD_ARGUMENT",
  badStream: "JP_ERR_ZFS_BAD_STREAM",
  noSpace: "JP_ERR_ZFS_NO_SPACE",
  failed: "JP_ERR_ZFS_FAILED",
} as const;

const RULES: ReadonlyArray<{ test: RegExp } & ZfsFailureClass> = [
  {
    // zfs-fuse: "connect: No such file or directory / Please make sure that the zfs-fuse daemon is running."
    test: /zfs-fuse daemon is running|failed to initialize ZFS library/i,
    kind: "unavailable",
    code: ZFS_CODES.daemonDown,
    hint: "start the zfs-fuse daemon (`/usr/sbin/zfs-fuse`, or `service zfs-fuse start`) and retry",
  },
  {
    test: /ZFS modules are not loaded|Unable to open \/dev\/zfs/i,
    kind: "unavailable",
    code: ZFS_CODES.daemonDown,
    hint: "load the ZFS kernel module (`modprobe zfs` on Linux, `kldload zfs` on FreeBSD) and retry",
  },
  { test: /permission denied|insufficient privileges|operation not permitted/i, kind: "permission_denied", code: ZFS_CODES.permission, hint: "run Jetpack as root, or delegate the ZFS permissions with `zfs allow`" },
  {
    test: /has children|has dependent clones/i,
    kind: "conflict",
    code: ZFS_CODES.hasDependents,
    hint: "destroy the child datasets or dependent clones first (or destroy recursively)",
  },
  { test: /dataset does not exist|parent does not exist|could not send .*does not exist|no such pool/i, kind: "not_found", code: ZFS_CODES.notFound },
  { test: /dataset already exists|destination '[^']*' exists/i, kind: "already_exists", code: ZFS_CODES.exists },
  {
    test: /directory is not empty|failed to create mountpoint|no mountpoint set/i,
    kind: "conflict",
    code: ZFS_CODES.mountpoint,
    hint: "check the dataset's mountpoint: it must be an empty directory that can be created",
  },
  { test: /not currently mounted/i, kind: "conflict", code: ZFS_CODES.notMounted },
  { test: /filesystem already mounted/i, kind: "conflict", code: ZFS_CODES.alreadyMounted },
  {
    // zfs-fuse says "dataset is busy" for a while after every unmount; umount(8) says "target is busy".
    test: /is busy|umount child process failed/i,
    kind: "unavailable",
    code: ZFS_CODES.busy,
    hint: "a process may be using files under the dataset's mountpoint (see `fuser -vm <mountpoint>`); stop it and retry",
  },
  { test: /out of space|no space left/i, kind: "unavailable", code: ZFS_CODES.noSpace, hint: "free space in the pool (destroy unused images or pods) and retry" },
  {
    test: /failed to read from stream|invalid (backup )?stream|checksum mismatch|stream .*(corrupt|truncated)/i,
    kind: "invalid",
    code: ZFS_CODES.badStream,
  },
  {
    test: /invalid property|bad property list|must be one of|invalid (dataset )?name|invalid character|not applicable to datasets of this type|property value too long/i,
    kind: "invalid",
    code: ZFS_CODES.badArgument,
  },
];

/** Pure. The error kind, code and hint for a failed zfs command, from its stderr. */
export function classifyZfsFailure(stderr: string): ZfsFailureClass {
  for (const rule of RULES) {
    if (rule.test.test(stderr)) {
      const { test: _test, ...cls } = rule;
      return cls;
    }
  }
  return { kind: "internal", code: ZFS_CODES.failed };
}

/** Pure. zfs's stderr without the usage text it prints after argument errors, on one line. */
export function cleanStderr(stderr: string): string {
  const lines: string[] = [];
  for (const line of stderr.split("\n")) {
    if (/^\s*usage:/i.test(line)) break;
    if (line.trim()) lines.push(line.trim());
  }
  return lines.join("; ");
}

/** Pure. The JetpackError for a zfs command that exited non-zero. */
export function zfsError(argv: readonly string[], result: { stderr: string; stdout?: string; code: number }): JetpackError {
  const cls = classifyZfsFailure(result.stderr);
  const said = cleanStderr(result.stderr) || cleanStderr(result.stdout ?? "") || `exit ${result.code}`;
  return new JetpackError({
    kind: cls.kind,
    code: cls.code,
    message: `${argv.join(" ")}: ${said}`,
    ...(cls.hint ? { hint: cls.hint } : {}),
    details: { argv: [...argv], exitCode: result.code, stderr: result.stderr },
  });
}

/** Pure. Whether an error is a JetpackError with one of the given zfs codes. */
export function hasZfsCode(err: unknown, ...codes: string[]): err is JetpackError {
  return err instanceof JetpackError && codes.includes(err.code);
}

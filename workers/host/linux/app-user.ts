// appc §1.4 user and group resolution against an app's own rootfs. Effects (reads the rootfs).
import type { RunApp } from "../../../machines/pod/run-spec.js";
import { ownerInRootfs, readRootfsFile } from "./rootfs-files.js";
import { parseGroup, parsePasswd, resolveId } from "./users.js";

export interface AppIds {
  uid: number;
  gid: number;
  groups: number[];
}

/**
 * Effects. The uid, gid and supplementary gids an app runs with: names from its rootfs's /etc/passwd and
 * /etc/group (read without following symbolic links), numbers as they are, paths as their owner. Throws
 * invalid JP_ERR_POD_APP_USER naming the app and the user or group that cannot be resolved.
 */
export function resolveAppIds(app: Pick<RunApp, "name" | "rootfs" | "user">): AppIds {
  const passwd = app.user.user.startsWith("/") || /^\d+$/.test(app.user.user) ? null : readRootfsFile(app.rootfs, "/etc/passwd", app.name);
  const group = app.user.group.startsWith("/") || /^\d+$/.test(app.user.group) ? null : readRootfsFile(app.rootfs, "/etc/group", app.name);
  const uid = resolveId({
    app: app.name,
    what: "user",
    value: app.user.user,
    table: passwd === null ? [] : parsePasswd(passwd),
    ownerOf: (path) => ownerInRootfs(app.rootfs, path)?.uid,
  });
  const gid = resolveId({
    app: app.name,
    what: "group",
    value: app.user.group,
    table: group === null ? [] : parseGroup(group),
    ownerOf: (path) => ownerInRootfs(app.rootfs, path)?.gid,
  });
  return { uid, gid, groups: [...app.user.supplementaryGids] };
}

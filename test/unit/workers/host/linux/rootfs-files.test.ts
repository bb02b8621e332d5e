import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { JetpackError } from "../../../../../machines/errors.js";
import { resolveAppIds } from "../../../../../workers/host/linux/app-user.js";
import { checkVolumeSource, ownerInRootfs, prepareMountTarget, readRootfsFile } from "../../../../../workers/host/linux/rootfs-files.js";

const base = mkdtempSync(join(tmpdir(), "jetpack-rootfs-files-"));
after(() => rmSync(base, { recursive: true, force: true }));
let n = 0;
function rootfs(): string {
  const dir = join(base, String(n++));
  mkdirSync(join(dir, "etc"), { recursive: true });
  return dir;
}

const user = (u: string, g: string, extra: number[] = []) => ({ user: u, group: g, supplementaryGids: extra });

describe("readRootfsFile", () => {
  it("reads a regular file inside the rootfs, and gives null for a missing one", () => {
    const r = rootfs();
    writeFileSync(join(r, "etc", "passwd"), "root:x:0:0::/:/bin/sh\n");
    assert.equal(readRootfsFile(r, "/etc/passwd", "a"), "root:x:0:0::/:/bin/sh\n");
    assert.equal(readRootfsFile(r, "/etc/group", "a"), null);
  });

  it("refuses an /etc/passwd that is a symbolic link pointing at the host's, naming the app", () => {
    const r = rootfs();
    symlinkSync("/etc/passwd", join(r, "etc", "passwd"));
    assert.throws(() => readRootfsFile(r, "/etc/passwd", "web"), (e: unknown) => e instanceof JetpackError && e.code === "JP_ERR_POD_APP_USER" && /app "web"/.test(e.message) && /symbolic link/.test(e.message));
  });

  it("refuses a symbolic link anywhere on the way (an /etc that points outside)", () => {
    const r = join(base, String(n++));
    mkdirSync(r);
    symlinkSync("/etc", join(r, "etc"));
    assert.throws(() => readRootfsFile(r, "/etc/passwd", "web"), /\/etc is a symbolic link/);
  });

  it("cannot climb out of the rootfs with ..", () => {
    const r = rootfs();
    assert.equal(readRootfsFile(r, "/../../../../etc/hostname", "a"), null);
  });
});

describe("resolveAppIds", () => {
  it("resolves names from the image's files and passes supplementary gids through", () => {
    const r = rootfs();
    writeFileSync(join(r, "etc", "passwd"), "app:x:1000:1000::/:/bin/sh\n");
    writeFileSync(join(r, "etc", "group"), "app:x:1001:\n");
    assert.deepEqual(resolveAppIds({ name: "a", rootfs: r, user: user("app", "app", [5, 6]) }), { uid: 1000, gid: 1001, groups: [5, 6] });
  });

  it("uses numbers as they are with no /etc/passwd, even when /etc/passwd is a symbolic link", () => {
    const r = rootfs();
    symlinkSync("/etc/passwd", join(r, "etc", "passwd"));
    assert.deepEqual(resolveAppIds({ name: "a", rootfs: r, user: user("123", "456") }), { uid: 123, gid: 456, groups: [] });
  });

  it("takes the owner of a path for a user or group starting with /", () => {
    const r = rootfs();
    mkdirSync(join(r, "bin"));
    writeFileSync(join(r, "bin", "ping"), "");
    chownSync(join(r, "bin", "ping"), 321, 654);
    assert.deepEqual(resolveAppIds({ name: "a", rootfs: r, user: user("/bin/ping", "/bin/ping") }), { uid: 321, gid: 654, groups: [] });
  });

  it("refuses an unknown user name, naming the app and the user", () => {
    const r = rootfs();
    assert.throws(() => resolveAppIds({ name: "worker", rootfs: r, user: user("ghost", "0") }), /app "worker": user "ghost" is not in the app's \/etc\/passwd/);
  });
});

describe("ownerInRootfs", () => {
  it("gives the owner of the link itself, never of what it points to", () => {
    const r = rootfs();
    symlinkSync("/etc/shadow", join(r, "shadow-link"));
    chownSync(join(r, "shadow-link"), 0, 0);
    assert.deepEqual(ownerInRootfs(r, "/shadow-link"), { uid: 0, gid: 0 });
    assert.equal(ownerInRootfs(r, "/missing"), undefined);
  });
});

describe("checkVolumeSource", () => {
  it("accepts an existing directory or file and says which", () => {
    const dir = join(base, "vol-dir");
    mkdirSync(dir);
    writeFileSync(join(base, "vol-file"), "x");
    assert.deepEqual(checkVolumeSource("v", dir), { directory: true });
    assert.deepEqual(checkVolumeSource("v", join(base, "vol-file")), { directory: false });
  });

  it("refuses a missing source, naming the volume", () => {
    assert.throws(() => checkVolumeSource("data", join(base, "nowhere")), (e: unknown) => e instanceof JetpackError && e.code === "JP_ERR_POD_VOLUME_SOURCE" && /volume "data"/.test(e.message) && /does not exist/.test(e.message));
  });

  it("refuses a source reached through a symbolic link, naming the link", () => {
    const real = join(base, "real");
    mkdirSync(join(real, "inner"), { recursive: true });
    symlinkSync(real, join(base, "link"));
    assert.throws(() => checkVolumeSource("data", join(base, "link", "inner")), /volume "data".*symbolic link \(.*\/link\)/);
  });
});

describe("prepareMountTarget", () => {
  it("creates missing directories 0755 and owned by root", () => {
    const r = rootfs();
    const warnings = prepareMountTarget({ rootfs: r, target: "/var/lib/data", directory: true, app: "a", volume: "v" });
    assert.deepEqual(warnings, []);
    const st = statSync(join(r, "var", "lib", "data"));
    assert.equal(st.isDirectory(), true);
    assert.equal(st.mode & 0o7777, 0o755);
    assert.equal(st.uid, 0);
  });

  it("replaces a file where a directory must go, and warns", () => {
    const r = rootfs();
    writeFileSync(join(r, "data"), "x");
    const warnings = prepareMountTarget({ rootfs: r, target: "/data", directory: true, app: "a", volume: "v" });
    assert.equal(statSync(join(r, "data")).isDirectory(), true);
    assert.match(warnings[0] ?? "", /\/data was a file/);
  });

  it("creates an empty file for a single-file volume", () => {
    const r = rootfs();
    prepareMountTarget({ rootfs: r, target: "/etc/app.conf", directory: false, app: "a", volume: "v" });
    assert.equal(readFileSync(join(r, "etc", "app.conf"), "utf8"), "");
  });

  it("refuses a symbolic link on the way, so nothing is created or mounted on the host through it", () => {
    const r = rootfs();
    const outside = join(base, "outside");
    mkdirSync(outside);
    symlinkSync(outside, join(r, "data"));
    assert.throws(() => prepareMountTarget({ rootfs: r, target: "/data/sub", directory: true, app: "web", volume: "v" }), (e: unknown) => e instanceof JetpackError && e.code === "JP_ERR_POD_VOLUME_TARGET" && /app "web"/.test(e.message) && /\/data is a symbolic link/.test(e.message));
    assert.throws(() => statSync(join(outside, "sub")));
  });
});

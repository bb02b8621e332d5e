import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { normalizeWhitelistEntry, planWhitelist } from "../../../../../workers/images/aci/whitelist.js";

const TREE = ["/bin", "/bin/sh", "/bin/ls", "/etc", "/etc/passwd", "/etc/ssl", "/etc/ssl/certs", "/etc/ssl/certs/ca.pem", "/usr", "/usr/lib", "/usr/lib/libc.so", "/tmp"];

describe("planWhitelist", () => {
  it("keeps listed paths and the directories above them, and removes everything else", () => {
    const plan = planWhitelist(TREE, ["/bin/sh", "/etc/ssl/certs/ca.pem"]);
    assert.deepEqual(plan.remove, ["/bin/ls", "/etc/passwd", "/tmp", "/usr"]);
    assert.equal(plan.removedCount, 6, "/usr takes /usr/lib and /usr/lib/libc.so with it");
  });

  it("keeps everything when the whitelist is empty (empty equals absent)", () => {
    assert.deepEqual(planWhitelist(TREE, []), { remove: [], removedCount: 0 });
  });

  it("keeps a listed directory but not what is inside it (matching is per exact path)", () => {
    const plan = planWhitelist(TREE, ["/etc"]);
    assert.deepEqual(plan.remove, ["/bin", "/etc/passwd", "/etc/ssl", "/tmp", "/usr"]);
  });

  it("drops a trailing slash and cleans `.` components in entries", () => {
    assert.deepEqual(planWhitelist(TREE, ["/etc/ssl/", "/./bin//sh"]).remove, ["/bin/ls", "/etc/passwd", "/etc/ssl/certs", "/tmp", "/usr"]);
  });

  it("lets an entry that climbs above the rootfs match nothing", () => {
    const plan = planWhitelist(TREE, ["/../etc/passwd"]);
    assert.equal(plan.removedCount, TREE.length);
  });

  it("does not need parents listed before children", () => {
    const shuffled = [...TREE].reverse();
    assert.deepEqual(planWhitelist(shuffled, ["/bin/sh"]).remove, ["/bin/ls", "/etc", "/tmp", "/usr"]);
  });

  it("accepts entries without a leading slash, as Go's filepath.Join does", () => {
    assert.deepEqual(planWhitelist(TREE, ["bin/sh"]).remove, planWhitelist(TREE, ["/bin/sh"]).remove);
  });
});

describe("normalizeWhitelistEntry", () => {
  it("resolves `..` inside the rootfs and gives null above it", () => {
    assert.equal(normalizeWhitelistEntry("/usr/lib/../bin/"), "/usr/bin");
    assert.equal(normalizeWhitelistEntry("/"), "/");
    assert.equal(normalizeWhitelistEntry("/a/../../b"), null);
  });
});

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { cgroupHostFrom, parseCgroupMounts } from "../../../../../workers/host/cgroups/detect.js";

const HYBRID = [
  "tmpfs /sys/fs/cgroup tmpfs rw,relatime,mode=755 0 0",
  "cgroup /sys/fs/cgroup/cpu cgroup rw,relatime,cpu 0 0",
  "cgroup /sys/fs/cgroup/cpuset cgroup rw,relatime,cpuset 0 0",
  "cgroup /sys/fs/cgroup/memory cgroup rw,relatime,memory 0 0",
  "cgroup2 /sys/fs/cgroup/unified cgroup2 rw,relatime 0 0",
  "proc /proc proc rw 0 0",
].join("\n");

describe("cgroup detection", () => {
  it("finds v1 memory and cpu hierarchies on a hybrid host and ignores its unified mount", () => {
    assert.deepEqual(cgroupHostFrom(parseCgroupMounts(HYBRID), null), {
      version: 1,
      controllers: { memory: true, cpu: true },
      paths: { memory: "/sys/fs/cgroup/memory", cpu: "/sys/fs/cgroup/cpu" },
    });
  });

  it("finds cpu co-mounted with cpuacct and does not mistake cpuset for cpu", () => {
    const text = "cgroup /sys/fs/cgroup/cpu,cpuacct cgroup rw,nosuid,cpu,cpuacct 0 0\ncgroup /sys/fs/cgroup/cpuset cgroup rw,cpuset 0 0\n";
    const host = cgroupHostFrom(parseCgroupMounts(text), null);
    assert.equal(host.paths.cpu, "/sys/fs/cgroup/cpu,cpuacct");
    assert.equal(host.controllers.memory, false);
    const cpusetOnly = cgroupHostFrom(parseCgroupMounts("cgroup /sys/fs/cgroup/cpuset cgroup rw,cpuset 0 0\n"), null);
    assert.equal(cpusetOnly.version, null);
  });

  it("reads a unified host's controllers from cgroup.controllers", () => {
    const mounts = parseCgroupMounts("cgroup2 /sys/fs/cgroup cgroup2 rw,nosuid,nsdelegate 0 0\n");
    assert.deepEqual(cgroupHostFrom(mounts, "cpuset cpu io memory pids\n"), {
      version: 2,
      controllers: { memory: true, cpu: true },
      paths: { memory: "/sys/fs/cgroup", cpu: "/sys/fs/cgroup" },
    });
    assert.deepEqual(cgroupHostFrom(mounts, "pids\n").controllers, { memory: false, cpu: false });
  });

  it("reports no cgroups when none are mounted", () => {
    assert.deepEqual(cgroupHostFrom(parseCgroupMounts("proc /proc proc rw 0 0\n"), null), { version: null, controllers: { memory: false, cpu: false }, paths: { memory: null, cpu: null } });
  });

  it("undoes the kernel's octal escapes in mount points", () => {
    assert.equal(parseCgroupMounts("cgroup /mnt/my\\040cgroups cgroup rw,memory 0 0")[0]?.mountPoint, "/mnt/my cgroups");
  });
});

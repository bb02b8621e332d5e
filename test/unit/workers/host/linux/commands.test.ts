import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { appCommand, appEnvironment, enterCommand, inCgroups, initCommand, pivotCommand } from "../../../../../workers/host/linux/commands.js";

describe("initCommand", () => {
  it("creates a new, empty network namespace when the pod has none", () => {
    assert.deepEqual(initCommand(null, "/s2"), {
      cmd: "unshare",
      args: ["--pid", "--fork", "--mount", "--uts", "--ipc", "--net", "--propagation", "private", "--", "/s2", "init"],
    });
  });

  it("joins the given network namespace and creates the others", () => {
    assert.deepEqual(initCommand("/run/netns/pod-1", "/s2"), {
      cmd: "nsenter",
      args: ["--net=/run/netns/pod-1", "--", "unshare", "--pid", "--fork", "--mount", "--uts", "--ipc", "--propagation", "private", "--", "/s2", "init"],
    });
  });
});

describe("enterCommand and pivotCommand", () => {
  it("enter every namespace of the pod's init, keeping the host's root for the setup", () => {
    assert.deepEqual(enterCommand(42, ["sh", "-c", "true"]), { cmd: "nsenter", args: ["--target", "42", "--all", "--", "sh", "-c", "true"] });
    assert.deepEqual(pivotCommand(42, "/s2", "/p/rootfs"), { cmd: "nsenter", args: ["--target", "42", "--all", "--", "/s2", "pivot", "/p/rootfs"] });
  });
});

describe("appCommand", () => {
  it("runs the app through the pod's stage2 in its rootfs, as its user, with its groups", () => {
    const c = appCommand({ initPid: 7, index: 1, workingDirectory: "/srv", uid: 1000, gid: 1000, groups: [2000, 3000], argv: ["/bin/sh", "-c", "id"], statusFd: 3 });
    assert.deepEqual(c, {
      cmd: "nsenter",
      args: ["--target", "7", "--all", "--root", "--wd=/", "--", "/.jetpack/stage2", "exec", "--root", "/1", "--cwd", "/srv", "--uid", "1000", "--gid", "1000", "--groups", "2000,3000", "--status-fd", "3", "--", "/bin/sh", "-c", "id"],
    });
  });

  it("leaves out --groups and --status-fd when there are none", () => {
    const c = appCommand({ initPid: 7, index: 0, workingDirectory: "/", uid: 0, gid: 0, groups: [], argv: ["ls"] });
    assert.equal(c.args.includes("--groups"), false);
    assert.equal(c.args.includes("--status-fd"), false);
    assert.deepEqual(c.args.slice(-2), ["--", "ls"]);
  });
});

describe("inCgroups", () => {
  it("writes the process id into every cgroup.procs file, then execs the command", () => {
    const c = inCgroups(["/sys/fs/cgroup/a/cgroup.procs", "/sys/fs/cgroup/b c/cgroup.procs"], { cmd: "nsenter", args: ["--target", "1"] });
    assert.equal(c.cmd, "sh");
    assert.equal(c.args[0], "-c");
    assert.match(c.args[1]!, /echo \$\$ > "\$1"/);
    assert.match(c.args[1]!, /exec "\$@"$/);
    assert.deepEqual(c.args.slice(2), ["jetpack-cgroups", "2", "/sys/fs/cgroup/a/cgroup.procs", "/sys/fs/cgroup/b c/cgroup.procs", "nsenter", "--target", "1"]);
  });

  it("is the command itself when there is no cgroup", () => {
    assert.deepEqual(inCgroups([], { cmd: "nsenter", args: ["x"] }), { cmd: "nsenter", args: ["x"] });
  });
});

describe("appEnvironment", () => {
  it("is exactly the plan's variables: nothing from the host leaks in", () => {
    assert.deepEqual(appEnvironment([{ name: "PATH", value: "/bin" }, { name: "container", value: "jetpack" }]), { PATH: "/bin", container: "jetpack" });
  });
});

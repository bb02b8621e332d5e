import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import type { PodRunSpec, RunMount, RunVolume } from "../../../../../machines/pod/run-spec.js";
import { devfsRuleset, escapeFstabField, fstabLines, renderFstab } from "../../../../../workers/host/jail/index.js";
import { refusal } from "../../../../support/refusal.js";
import { repoPath } from "../../../../support/repo.js";

function fixture(name: string): PodRunSpec {
  return JSON.parse(readFileSync(repoPath(`test/fixtures/jail/${name}/spec.json`), "utf8")) as PodRunSpec;
}

/** What jail(8) does with an fstab line: cut at `#`, split on blanks, strunvis(3) the first two fields. */
function readLikeJail(line: string): string[] {
  const kept = line.split("#")[0] ?? "";
  const fields = kept.split(/[ \t\f\v\r\n]+/).filter((f) => f !== "");
  return fields.map((f, i) => (i <= 1 ? f.replace(/\\([0-7]{1,3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))) : f));
}

function hostVolume(name: string, source: string, readOnly: boolean): RunVolume {
  return { name, kind: "host", source, readOnly, mode: null, uid: null, gid: null };
}

function mount(volume: string, target: string, readOnly = false, kind: RunMount["kind"] = "host"): RunMount {
  return { source: "/ignored", target, readOnly, volume, kind, recursive: true };
}

/** The single-app fixture with these volumes, its one app mounting `mounts`. */
function withVolumes(volumes: RunVolume[], mounts: RunMount[]): PodRunSpec {
  const spec = fixture("single-app-with-ip");
  const [app] = spec.apps;
  assert.ok(app);
  return { ...spec, volumes, apps: [{ ...app, mounts }] };
}

describe("fstab escaping", () => {
  it("escapes a space as \\040 and a tab as \\011, as fstab(5) wants", () => {
    assert.equal(escapeFstabField("/srv/my files\there", "source"), "/srv/my\\040files\\011here");
  });

  it("escapes the backslash, a newline and the comment sign", () => {
    assert.equal(escapeFstabField("/a\\b\nc#d", "source"), "/a\\134b\\012c\\043d");
  });

  it("leaves an ordinary path and non-ASCII letters alone", () => {
    assert.equal(escapeFstabField("/var/jetpack/pods/p/rootfs/vol/données", "target"), "/var/jetpack/pods/p/rootfs/vol/données");
  });

  it("refuses a NUL byte", () => {
    const err = refusal(() => escapeFstabField("/a\0b", "mount source"));
    assert.equal(err.kind, "invalid");
    assert.equal(err.code, "JP_ERR_JAIL_FSTAB_PATH");
  });

  it("writes host paths with spaces, tabs and # so that jail(8) reads back the same six fields", () => {
    const source = "/srv/odd dir\twith #hash\\";
    const spec = withVolumes([hostVolume("odd", source, false)], [mount("odd", "/mnt/odd place")]);
    const lines = renderFstab(spec).split("\n").filter((l) => l !== "");
    const first = readLikeJail(lines[0] ?? "");
    assert.deepEqual(first, [source, `${spec.paths.root}/vol/odd`, "nullfs", "rw", "0", "0"]);
    const last = readLikeJail(lines[lines.length - 1] ?? "");
    assert.deepEqual(last, [`${spec.paths.root}/vol/odd`, `${spec.paths.root}/0/mnt/odd place`, "nullfs", "rw", "0", "0"]);
  });
});

describe("fstab lines", () => {
  it("mounts host volumes first, then each app's devfs and its volume mounts", () => {
    const spec = withVolumes([hostVolume("logs", "/var/log/site", false)], [mount("logs", "/logs")]);
    const root = spec.paths.root;
    assert.deepEqual(fstabLines(spec), [
      { source: "/var/log/site", target: `${root}/vol/logs`, type: "nullfs", options: "rw" },
      { source: ".", target: `${root}/0/dev`, type: "devfs", options: "ruleset=4" },
      { source: `${root}/vol/logs`, target: `${root}/0/logs`, type: "nullfs", options: "rw" },
    ]);
  });

  it("mounts a read-only volume read-only in every app, whatever the mount asks", () => {
    const volume: RunVolume = { name: "data", kind: "empty", source: "/var/jetpack/pods/x/volumes/data", readOnly: true, mode: "0755", uid: 0, gid: 0 };
    const lines = fstabLines(withVolumes([volume], [mount("data", "/data", false, "empty")]));
    assert.deepEqual(lines.at(-1), { source: volume.source, target: `${fixture("single-app-with-ip").paths.root}/0/data`, type: "nullfs", options: "ro" });
  });

  it("gives an empty volume no line of its own, since ZFS mounts its dataset", () => {
    const volume: RunVolume = { name: "data", kind: "empty", source: "/var/jetpack/pods/x/volumes/data", readOnly: false, mode: "0755", uid: 0, gid: 0 };
    const lines = fstabLines(withVolumes([volume], []));
    assert.deepEqual(lines.map((l) => l.type), ["devfs"]);
  });

  it("mounts linprocfs and linsysfs only for apps whose image says os=linux", () => {
    const spec = fixture("single-app-with-ip");
    const [app] = spec.apps;
    assert.ok(app);
    for (const os of ["freebsd", null]) assert.deepEqual(fstabLines({ ...spec, apps: [{ ...app, os }] }).map((l) => l.type), ["devfs"]);
    assert.deepEqual(fstabLines({ ...spec, apps: [{ ...app, os: "linux" }] }).map((l) => l.type), ["devfs", "linprocfs", "linsysfs"]);
  });

  it("refuses a mount of a volume the pod does not have, naming both", () => {
    const err = refusal(() => fstabLines(withVolumes([], [mount("ghost", "/ghost")])));
    assert.equal(err.code, "JP_ERR_JAIL_VOLUME_UNKNOWN");
    assert.ok(err.message.includes('"ghost"') && err.message.includes('"nginx"'), err.message);
  });

  it("refuses a mount target that climbs out of the app's rootfs by its name", () => {
    const err = refusal(() => fstabLines(withVolumes([hostVolume("logs", "/var/log", false)], [mount("logs", "/../../../etc")])));
    assert.equal(err.code, "JP_ERR_JAIL_FSTAB_PATH");
  });

  it("refuses a relative host volume source", () => {
    const err = refusal(() => fstabLines(withVolumes([hostVolume("logs", "var/log", false)], [])));
    assert.equal(err.code, "JP_ERR_JAIL_FSTAB_PATH");
  });

  it("refuses a volume name that is not an AC Name, since it becomes a directory name", () => {
    const err = refusal(() => fstabLines(withVolumes([hostVolume("../etc", "/srv", false)], [])));
    assert.equal(err.code, "JP_ERR_JAIL_FSTAB_PATH");
  });
});

describe("devfs ruleset annotation", () => {
  it("defaults to ruleset 4 (devfsrules_jail)", () => {
    assert.equal(devfsRuleset([]), 4);
  });

  it("takes the jetpack/devfs-ruleset annotation", () => {
    assert.equal(devfsRuleset([{ name: "jetpack/devfs-ruleset", value: "5" }]), 5);
  });

  for (const value of ["", "x", "-1", "4.5", "65536", "0x10", " 4"]) {
    it(`refuses the ruleset ${JSON.stringify(value)}, naming the annotation`, () => {
      const err = refusal(() => devfsRuleset([{ name: "jetpack/devfs-ruleset", value }]));
      assert.equal(err.kind, "invalid");
      assert.equal(err.code, "JP_ERR_JAIL_DEVFS_RULESET");
      assert.ok(err.message.includes("jetpack/devfs-ruleset"), err.message);
    });
  }
});

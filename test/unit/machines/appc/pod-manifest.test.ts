import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { JetpackError } from "../../../../machines/errors.js";
import { checkPodIsolators, isFullImageId, parsePodManifest, parsePodManifestBytes, VolumeSchema } from "../../../../machines/appc/index.js";
import { repoPath } from "../../../support/repo.js";

const FIXTURES_DIR = repoPath("test/fixtures/appc") + "/";
const read = (file: string) => parsePodManifestBytes(readFileSync(`${FIXTURES_DIR}pod/valid/${file}`));

describe("pod manifests", () => {
  it("read the spec's runtime example: apps pinned by id, override, mounts, volumes, pod isolators", () => {
    const pod = read("pod_runtime.json");
    assert.deepEqual(pod.apps.map((a) => a.name), ["reduce-worker", "backup", "register"]);
    assert.ok(pod.apps.every((a) => a.image.id !== undefined && isFullImageId(a.image.id)));
    assert.equal(pod.apps[0]?.app?.user, "0");
    assert.deepEqual(pod.apps[1]?.mounts, [{ volume: "dbvolume", path: "/mnt/db" }, { volume: "buildoutput", path: "/mnt/out" }]);
    assert.deepEqual(pod.apps[1]?.annotations, [{ name: "foo", value: "baz" }]);
    assert.deepEqual(pod.volumes, [
      { name: "dbvolume", kind: "host", source: "/opt/tenant1/database", readOnly: true },
      { name: "buildoutput", kind: "empty", mode: "0777", uid: 0, gid: 0 },
    ]);
    assert.deepEqual(checkPodIsolators(pod.isolators).applied.map((i) => i.name), ["resource/memory", "os/unix/sysctl"]);
    assert.deepEqual(pod.annotations, [{ name: "ip-address", value: "10.1.2.3" }]);
  });

  it("read the spec's template example: an old acVersion and an app with no id", () => {
    const pod = read("pod_template.json");
    assert.equal(pod.acVersion, "0.3.0");
    assert.equal(pod.apps[1]?.image.id, undefined);
    assert.deepEqual(pod.apps[1]?.image.labels, [{ name: "version", value: "1.0.0" }]);
  });

  it("default every list to empty, so the metadata service can serve [] rather than null", () => {
    assert.deepEqual(parsePodManifest({ acKind: "PodManifest" }), { acKind: "PodManifest", apps: [], volumes: [], isolators: [], annotations: [], ports: [] });
  });

  it("give empty volumes mode 0755, uid 0 and gid 0 unless told otherwise", () => {
    assert.deepEqual(VolumeSchema.parse({ name: "v", kind: "empty" }), { name: "v", kind: "empty", mode: "0755", uid: 0, gid: 0 });
    assert.deepEqual(VolumeSchema.parse({ name: "v", kind: "empty", mode: "0700", uid: 5 }), { name: "v", kind: "empty", mode: "0700", uid: 5, gid: 0 });
  });

  it("keep readOnly and recursive absent when not given, since absent is not false", () => {
    const host = VolumeSchema.parse({ name: "v", kind: "host", source: "/srv" });
    assert.deepEqual(host, { name: "v", kind: "host", source: "/srv" });
    assert.deepEqual(VolumeSchema.parse({ name: "v", kind: "host", source: "/srv", recursive: false }), { name: "v", kind: "host", source: "/srv", recursive: false });
  });

  it("do not check the acVersion's presence, as Go does not when reading", () => {
    assert.equal(parsePodManifest({ acKind: "PodManifest" }).acVersion, undefined);
  });

  it("drop an empty hostIP and accept IPv6", () => {
    const pod = parsePodManifest({ acKind: "PodManifest", ports: [{ name: "a", hostPort: 1, hostIP: "" }, { name: "b", hostPort: 2, hostIP: "::1" }] });
    assert.deepEqual(pod.ports, [{ name: "a", hostPort: 1 }, { name: "b", hostPort: 2, hostIP: "::1" }]);
  });

  it("name the app at fault in duplicate names", () => {
    assert.throws(
      () => parsePodManifest({ acKind: "PodManifest", apps: [{ name: "a", image: {} }, { name: "b", image: {} }, { name: "a", image: {} }] }),
      (err: unknown) => err instanceof JetpackError && err.message === 'invalid pod manifest: apps[2].name: duplicate apps of name "a"',
    );
  });
});

// The reference validator agrees with our reification: `actool validate` (Debian appc-spec 0.8.11) must
// accept every manifest reifyPod writes, templates with old acVersions and unpinned images included.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { parseImageManifest, parsePodManifest } from "../../machines/appc/index.js";
import { reifyPod, type PodTemplate } from "../../machines/pod/index.js";
import type { ImageView } from "../../machines/projections/images.js";

function stored(hex: string, manifest: Record<string, unknown>): ImageView {
  const json = { acKind: "ImageManifest", acVersion: "0.8.11", ...manifest };
  const parsed = parseImageManifest(json);
  return { id: `sha512-${hex.repeat(128)}`, uuid: hex, name: parsed.name, labels: parsed.labels, manifest: json, dependencies: [], compression: "gzip", aciBytes: 1, tarBytes: 1, importedAt: "2026-01-01T00:00:00.000Z", importedBy: "root", state: "ready" };
}

const images = [
  stored("d", {
    name: "example.com/db",
    labels: [{ name: "version", value: "1.0" }, { name: "os", value: "linux" }, { name: "arch", value: "amd64" }],
    app: { exec: ["/usr/bin/db"], user: "db", group: "db", mountPoints: [{ name: "data", path: "/var/lib/db" }, { name: "logs", path: "/var/log/db", readOnly: true }] },
  }),
  stored("b", { name: "example.com/busybox", labels: [{ name: "os", value: "linux" }] }),
];

const templates: Array<{ title: string; input: Parameters<typeof reifyPod>[0] }> = [
  { title: "apps named on the command line, with automatic empty volumes", input: { apps: [{ image: "example.com/db" }, { image: "example.com/db" }, { image: "example.com/busybox" }] } satisfies PodTemplate },
  {
    title: "a shared empty volume, a read-only host volume and annotations",
    input: {
      apps: [{ image: "example.com/db", mounts: [{ volume: "shared", path: "/shared" }] }, { image: "example.com/busybox", name: "sh", mounts: [{ volume: "shared", path: "/shared" }], annotations: [{ name: "role", value: "debug" }] }],
      volumes: [{ name: "shared", kind: "empty", mode: "0770", uid: 1000, gid: 1000 }, { name: "logs", kind: "host", source: "/srv/logs", readOnly: true }],
      annotations: [{ name: "hostname", value: "db-1" }],
    } satisfies PodTemplate,
  },
  {
    title: "a 0.3.0 template pinned by name and labels, with an app override and pod isolators",
    input: parsePodManifest({
      acVersion: "0.3.0",
      acKind: "PodManifest",
      apps: [{ name: "db", image: { name: "example.com/db", labels: [{ name: "version", value: "1.0" }] }, app: { exec: ["/bin/sh"], user: "0", group: "0" } }],
      isolators: [{ name: "resource/memory", value: { limit: "1G" } }],
    }),
  },
];

describe("reified pod manifests against actool validate", () => {
  let dir = "";
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "jetpack-pod-reify-"));
    assert.equal(spawnSync("actool", ["version"]).status, 0, "actool (Debian package appc-spec) must be installed");
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  templates.forEach((t, i) => {
    it(`actool accepts the reified manifest of ${t.title}`, () => {
      const path = join(dir, `pod-${i}.json`);
      writeFileSync(path, JSON.stringify(reifyPod(t.input, { images })));
      const result = spawnSync("actool", ["validate", path], { encoding: "utf8" });
      assert.equal(result.status, 0, `${result.stdout}${result.stderr}`);
    });
  });
});

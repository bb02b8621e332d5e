import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseImageManifest, parsePodManifest, type PodManifest } from "../../../../machines/appc/index.js";
import { defaultAppName, parsePodTemplate, reifyPod, type PodTemplate } from "../../../../machines/pod/index.js";
import type { ImageView } from "../../../../machines/projections/images.js";
import { refusal } from "../../../support/refusal.js";

const id = (c: string) => `sha512-${c.repeat(128)}`;

/** A store entry, as the images projection holds it, for a manifest given in its JSON form. */
function stored(hex: string, manifest: Record<string, unknown>, state: ImageView["state"] = "ready"): ImageView {
  const json = { acKind: "ImageManifest", acVersion: "0.8.11", ...manifest };
  const parsed = parseImageManifest(json);
  return {
    id: id(hex),
    uuid: `uuid-${hex}`,
    name: parsed.name,
    labels: parsed.labels,
    manifest: json,
    dependencies: [],
    compression: "gzip",
    aciBytes: 1,
    tarBytes: 1,
    importedAt: "2026-01-01T00:00:00.000Z",
    importedBy: "root",
    state,
  };
}

const linux = [{ name: "version", value: "1.0" }, { name: "os", value: "linux" }, { name: "arch", value: "amd64" }];
const db = stored("d", {
  name: "example.com/db",
  labels: linux,
  app: { exec: ["/usr/bin/db"], user: "db", group: "db", mountPoints: [{ name: "data", path: "/var/lib/db" }, { name: "logs", path: "var/log/db/", readOnly: true }] },
});
const web = stored("e", { name: "example.com/web", labels: [{ name: "version", value: "2.0" }], app: { exec: ["/bin/web"], user: "0", group: "0" } });
const web1 = stored("f", { name: "example.com/web", labels: [{ name: "version", value: "1.0" }], app: { exec: ["/bin/web"], user: "0", group: "0" } });
const oddName = stored("a", { name: "example.com/tools/my_app.server~2" });
const going = stored("b", { name: "example.com/going" }, "destroying");
const store = [db, web, web1, oddName, going];
const ctx = { images: store };

const pinned = (view: ImageView) => ({ name: view.name, id: view.id, labels: view.labels });
const emptyVolume = (name: string) => ({ name, kind: "empty", mode: "0755", uid: 0, gid: 0 });
function manifest(apps: unknown[], volumes: unknown[], rest: Record<string, unknown> = {}): PodManifest {
  return { acVersion: "0.8.11", acKind: "PodManifest", apps, volumes, isolators: [], annotations: [], ports: [], ...rest } as PodManifest;
}
const app = (name: string, view: ImageView, mounts: unknown[], rest: Record<string, unknown> = {}) => ({ name, image: pinned(view), readOnlyRootFS: false, mounts, annotations: [], ...rest });

const cases: Array<{ title: string; input: PodTemplate | PodManifest; expected: PodManifest }> = [
  {
    title: "an app from an image with mount points gets a mount and an empty volume for each",
    input: { apps: [{ image: "example.com/db" }] },
    expected: manifest([app("db", db, [{ volume: "data", path: "/var/lib/db" }, { volume: "logs", path: "/var/log/db" }])], [emptyVolume("data"), emptyVolume("logs")]),
  },
  {
    title: "two apps share an empty volume declared with its owner and mode, and the missing ones are added",
    input: {
      apps: [
        { image: "example.com/db", mounts: [{ volume: "shared", path: "/srv/shared" }] },
        { image: "example.com/web:2.0", name: "front", mounts: [{ volume: "shared", path: "/srv/www/" }] },
      ],
      volumes: [{ name: "shared", kind: "empty", mode: "0770", uid: 1000, gid: 1000 }],
    },
    expected: manifest(
      [
        app("db", db, [{ volume: "shared", path: "/srv/shared" }, { volume: "data", path: "/var/lib/db" }, { volume: "logs", path: "/var/log/db" }]),
        app("front", web, [{ volume: "shared", path: "/srv/www" }]),
      ],
      [{ name: "shared", kind: "empty", mode: "0770", uid: 1000, gid: 1000 }, emptyVolume("data"), emptyVolume("logs")],
    ),
  },
  {
    title: "a read-only host volume named like a mount point fulfils it, and a mount may name the mount point",
    input: {
      apps: [{ image: "example.com/db", mounts: [{ volume: "dbfiles", path: "data" }] }],
      volumes: [{ name: "logs", kind: "host", source: "/srv/logs", readOnly: true }],
    },
    expected: manifest([app("db", db, [{ volume: "dbfiles", path: "/var/lib/db" }, { volume: "logs", path: "/var/log/db" }])], [
      { name: "logs", kind: "host", source: "/srv/logs", readOnly: true },
      emptyVolume("dbfiles"),
    ]),
  },
  {
    title: "`-m VOL` alone mounts the volume on the image's mount point of that name",
    input: { apps: [{ image: "example.com/db", mounts: [{ volume: "logs" }] }] },
    expected: manifest([app("db", db, [{ volume: "logs", path: "/var/log/db" }, { volume: "data", path: "/var/lib/db" }])], [emptyVolume("logs"), emptyVolume("data")]),
  },
  {
    title: "a manifest's app override replaces the image's app, mount points included, and its image is pinned",
    input: parsePodManifest({
      acKind: "PodManifest",
      acVersion: "0.3.0",
      apps: [{ name: "store", image: { name: "example.com/db", labels: [{ name: "version", value: "1.0" }] }, app: { exec: ["/bin/sh"], user: "nobody", group: "65534", mountPoints: [{ name: "cache", path: "/cache" }] } }],
      annotations: [{ name: "owner", value: "ops" }],
      userLabels: { team: "storage" },
    }),
    expected: manifest(
      [app("store", db, [{ volume: "cache", path: "/cache" }], { app: { exec: ["/bin/sh"], user: "nobody", group: "65534", eventHandlers: [], supplementaryGIDs: [], environment: [], mountPoints: [{ name: "cache", path: "/cache", readOnly: false }], ports: [], isolators: [] } })],
      [emptyVolume("cache")],
      { annotations: [{ name: "owner", value: "ops" }], userLabels: { team: "storage" } },
    ),
  },
  {
    title: "apps of one image are named after its last path segment, then -2, -3, around the names users gave",
    input: { apps: [{ image: "example.com/web:2.0" }, { image: "example.com/web:1.0" }, { image: id("e") }, { image: "example.com/db", name: "web-2", mounts: [{ volume: "x", path: "/x" }] }] },
    expected: manifest(
      [
        app("web", web, []),
        app("web-3", web1, []),
        app("web-4", web, []),
        app("web-2", db, [{ volume: "x", path: "/x" }, { volume: "data", path: "/var/lib/db" }, { volume: "logs", path: "/var/log/db" }]),
      ],
      [emptyVolume("x"), emptyVolume("data"), emptyVolume("logs")],
    ),
  },
  {
    title: "a base manifest (-f) keeps its apps first; -a replaces its annotation of the same name; app annotations stay",
    input: {
      manifest: parsePodManifest({ acKind: "PodManifest", apps: [{ name: "api", image: { id: id("e") } }], annotations: [{ name: "hostname", value: "old" }, { name: "team", value: "a" }] }),
      apps: [{ image: "example.com/web:1.0", annotations: [{ name: "role", value: "canary" }] }],
      annotations: [{ name: "hostname", value: "web-1.example.com" }, { name: "extra", value: "x" }],
    },
    expected: manifest([app("api", web, []), app("web", web1, [], { annotations: [{ name: "role", value: "canary" }] })], [], {
      annotations: [{ name: "hostname", value: "web-1.example.com" }, { name: "team", value: "a" }, { name: "extra", value: "x" }],
    }),
  },
];

describe("reifying a pod", () => {
  for (const c of cases) {
    it(c.title, () => {
      const out = reifyPod(c.input, ctx);
      assert.deepEqual(out, c.expected);
      assert.deepEqual(parsePodManifest(JSON.parse(JSON.stringify(out))), out, "the reified manifest reads back the same");
    });
  }

  it("names an app after the image's base name made an AC Name", () => {
    assert.equal(defaultAppName("example.com/tools/my_app.server~2"), "my-app-server-2");
    assert.equal(defaultAppName("busybox"), "busybox");
    assert.equal(defaultAppName("example.com/__"), "app");
    assert.equal(reifyPod({ apps: [{ image: "example.com/tools/my_app.server~2" }] }, ctx).apps[0]?.name, "my-app-server-2");
  });

  it("writes annotations: [] at pod level when there are none, for the metadata service", () => {
    assert.ok(JSON.stringify(reifyPod({ apps: [{ image: "example.com/web:2.0" }] }, ctx)).includes('"annotations":[]'));
  });
});

describe("reification refuses", () => {
  const table: Array<{ title: string; input: PodTemplate | PodManifest; kind: string; code: string; message: RegExp }> = [
    { title: "an image the store lacks, naming it", input: { apps: [{ image: "example.com/nope:1.0" }] }, kind: "not_found", code: "JP_ERR_IMAGE_NOT_FOUND", message: /^app 1 \(example\.com\/nope:1\.0\): no image matches example\.com\/nope:1\.0$/ },
    { title: "an image being destroyed", input: { apps: [{ image: "example.com/going" }] }, kind: "not_found", code: "JP_ERR_IMAGE_NOT_FOUND", message: /example\.com\/going/ },
    {
      title: "a manifest's image id the store lacks",
      input: parsePodManifest({ acKind: "PodManifest", apps: [{ name: "x", image: { id: id("9") } }] }),
      kind: "not_found",
      code: "JP_ERR_IMAGE_NOT_FOUND",
      message: /^app "x": image sha512-9{128} is not in the store$/,
    },
    {
      title: "a manifest's image id that is another image than its name says",
      input: parsePodManifest({ acKind: "PodManifest", apps: [{ name: "x", image: { id: id("e"), name: "example.com/db" } }] }),
      kind: "invalid",
      code: "JP_ERR_POD_APP_IMAGE",
      message: /^app "x": image sha512-e+ is example\.com\/web,version=2\.0, not example\.com\/db$/,
    },
    {
      title: "a manifest's image name that matches several images",
      input: parsePodManifest({ acKind: "PodManifest", apps: [{ name: "x", image: { name: "example.com/web" } }] }),
      kind: "conflict",
      code: "JP_ERR_IMAGE_AMBIGUOUS",
      message: /^app "x": example\.com\/web matches 2 images/,
    },
    { title: "two apps given the same name", input: { apps: [{ image: "example.com/db", name: "a" }, { image: "example.com/web:2.0", name: "a" }] }, kind: "invalid", code: "JP_ERR_POD_APP_NAME_DUPLICATE", message: /two apps are named "a"/ },
    { title: "an app name that is not an AC Name", input: { apps: [{ image: "example.com/db", name: "Web_1" }] }, kind: "invalid", code: "JP_ERR_POD_APP_NAME", message: /^app "Web_1": invalid app name/ },
    {
      title: "a mount path that is neither absolute nor a mount point, listing the mount points",
      input: { apps: [{ image: "example.com/db", mounts: [{ volume: "v", path: "cache" }] }] },
      kind: "invalid",
      code: "JP_ERR_POD_MOUNT_PATH",
      message: /^app "db": mounts\[0\] \(volume "v"\) goes to "cache", which is neither an absolute path nor a mount point of image example\.com\/db \(it has data, logs\)$/,
    },
    { title: "a mount over the whole rootfs", input: { apps: [{ image: "example.com/web:2.0", mounts: [{ volume: "v", path: "/./" }] }] }, kind: "invalid", code: "JP_ERR_POD_MOUNT_PATH", message: /would cover the whole rootfs/ },
    {
      title: "nested mount targets in one app",
      input: { apps: [{ image: "example.com/db", mounts: [{ volume: "all", path: "/var/lib" }] }] },
      kind: "invalid",
      code: "JP_ERR_POD_MOUNT_OVERLAP",
      message: /^app "db": mount targets \/var\/lib \(volume "all"\) and \/var\/lib\/db \(volume "data"\) overlap$/,
    },
    { title: "two mounts on one target", input: { apps: [{ image: "example.com/web:2.0", mounts: [{ volume: "a", path: "/a" }, { volume: "b", path: "/a/" }] }] }, kind: "invalid", code: "JP_ERR_POD_MOUNT_OVERLAP", message: /\/a \(volume "a"\) and \/a \(volume "b"\) overlap/ },
    {
      title: "two volumes of the same name from -f and -v",
      input: { manifest: parsePodManifest({ acKind: "PodManifest", volumes: [{ name: "v", kind: "empty" }] }), apps: [], volumes: [{ name: "v", kind: "host", source: "/srv" }] },
      kind: "invalid",
      code: "JP_ERR_POD_VOLUME_DUPLICATE",
      message: /two volumes are named "v"/,
    },
    { title: "a relative host source", input: { apps: [], volumes: [{ name: "v", kind: "host", source: "srv" }] }, kind: "invalid", code: "JP_ERR_POD_VOLUME_SOURCE", message: /^volume "v": host source srv must be an absolute path/ },
    { title: "a host source climbing out with ..", input: { apps: [], volumes: [{ name: "v", kind: "host", source: "/srv/../etc" }] }, kind: "invalid", code: "JP_ERR_POD_VOLUME_SOURCE", message: /volume "v"/ },
    { title: "an empty volume's mode that is not octal", input: { apps: [], volumes: [{ name: "v", kind: "empty", mode: "rwx", uid: 0, gid: 0 }] }, kind: "invalid", code: "JP_ERR_POD_VOLUME_MODE", message: /^volume "v": mode "rwx"/ },
    { title: "a negative uid", input: { apps: [], volumes: [{ name: "v", kind: "empty", mode: "0755", uid: -1, gid: 0 }] }, kind: "invalid", code: "JP_ERR_POD_VOLUME_OWNER", message: /^volume "v": uid -1/ },
    {
      title: "a mount carrying its own appVolume",
      input: parsePodManifest({ acKind: "PodManifest", apps: [{ name: "x", image: { id: id("e") }, mounts: [{ volume: "v", path: "/v", appVolume: { name: "v", kind: "empty" } }] }] }),
      kind: "invalid",
      code: "JP_ERR_POD_APP_VOLUME",
      message: /^app "x": mounts\[0\] carries its own appVolume/,
    },
    { title: "a hostname annotation that is no host name", input: { apps: [], annotations: [{ name: "hostname", value: "my_host" }] }, kind: "invalid", code: "JP_ERR_POD_HOSTNAME", message: /hostname "my_host"/ },
    {
      title: "an unknown pod isolator",
      input: parsePodManifest({ acKind: "PodManifest", isolators: [{ name: "example.com/magic", value: {} }] }),
      kind: "invalid",
      code: "JP_ERR_POD_ISOLATOR_UNKNOWN",
      message: /"example\.com\/magic"/,
    },
    { title: "a bad pod annotation name, through the final check", input: { apps: [], annotations: [{ name: "Bad Name", value: "" }] }, kind: "invalid", code: "JP_ERR_POD_INVALID", message: /annotations\[0\]\.name/ },
  ];
  for (const c of table) {
    it(c.title, () => {
      const err = refusal(() => reifyPod(c.input, ctx));
      assert.deepEqual({ kind: err.kind, code: err.code }, { kind: c.kind, code: c.code });
      assert.match(err.message, c.message);
      assert.ok(err.hint, "a refusal says what to do next");
    });
  }
});

describe("pod templates from the API", () => {
  it("read apps, volumes and annotations, with volume defaults filled in", () => {
    const template = parsePodTemplate({ apps: [{ image: "example.com/db", mounts: [{ volume: "v" }] }], volumes: [{ name: "v", kind: "empty" }] });
    assert.deepEqual(template, { apps: [{ image: "example.com/db", mounts: [{ volume: "v" }] }], volumes: [{ name: "v", kind: "empty", mode: "0755", uid: 0, gid: 0 }] });
  });

  it("name the field at fault", () => {
    const err = refusal(() => parsePodTemplate({ apps: [{ image: "" }] }));
    assert.equal(err.code, "JP_ERR_POD_TEMPLATE");
    assert.match(err.message, /apps\[0\]\.image/);
  });
});

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { parseImageManifest, parsePodManifest, type ImageManifest, type PodManifest } from "../../../../machines/appc/index.js";
import { appEnvironment, DEFAULT_PATH, planPod, planPodIsolators, type PlanContext, type PodRunSpec, type RunApp } from "../../../../machines/pod/index.js";
import { refusal } from "../../../support/refusal.js";
import { repoPath } from "../../../support/repo.js";import { testRunApp, testRunSpec } from "../../../support/run-spec.js";


const id = (c: string) => `sha512-${c.repeat(128)}`;
const image = (name: string, labels: Record<string, string>, app?: unknown): ImageManifest =>
  parseImageManifest({ acKind: "ImageManifest", acVersion: "0.8.11", name, labels: Object.entries(labels).map(([n, v]) => ({ name: n, value: v })), app });

const IMAGES = {
  db: image("example.com/db", { os: "linux" }, {
    exec: ["/usr/bin/db", "--serve"],
    user: "db",
    group: "db",
    environment: [{ name: "DB_MODE", value: "fast" }],
    mountPoints: [{ name: "data", path: "/var/lib/db" }, { name: "logs", path: "/var/log/db", readOnly: true }],
  }),
  busybox: image("example.com/busybox", { os: "linux" }),
  base: image("example.com/freebsd-base", { os: "freebsd", arch: "amd64" }),
  plain: image("example.com/plain", {}),
  noExec: image("example.com/no-exec", { os: "linux" }, { exec: [], user: "1000", group: "1000" }),
  web: image("example.com/web", { os: "linux" }, {
    exec: ["web"],
    user: "www",
    group: "www",
    environment: [
      { name: "HOME", value: "/srv" },
      { name: "AC_APP_NAME", value: "spoofed" },
      { name: "PATH", value: "/opt/web/bin:/bin" },
      { name: "container", value: "docker" },
      { name: "AC_METADATA_URL", value: "http://evil.example.com" },
      { name: "LANG", value: "C.UTF-8" },
    ],
    isolators: [
      { name: "resource/memory", value: { limit: "512Mi" } },
      { name: "os/linux/capabilities-retain-set", value: { set: ["CAP_NET_BIND_SERVICE"] } },
      { name: "resource/cpu", value: { request: "500m", limit: "1" } },
      { name: "os/unix/sysctl", value: { "net.ipv4.ip_forward": "0" } },
    ],
  }),
};
const IDS = { db: id("d"), busybox: id("b"), base: id("f"), plain: id("c"), noExec: id("e"), web: id("a") };

const UUID = "0d5b0f8e-4a57-4c0c-9d7f-3e1f6f0c2a11";
const DIR = `/var/lib/jetpack/pods/${UUID}`;
const ctx = (over: Partial<PlanContext> = {}): PlanContext => ({
  uuid: UUID,
  images: new Map(Object.entries(IMAGES).map(([key, m]) => [IDS[key as keyof typeof IDS], m])),
  paths: { podDir: DIR },
  ip: "10.99.0.2",
  metadataUrl: "http://10.99.0.1:2375/t0ken/",
  hostIsolators: { cgroups: true },
  ...over,
});

const pod = (apps: unknown[], volumes: unknown[] = [], rest: Record<string, unknown> = {}): PodManifest =>
  parsePodManifest({ acVersion: "0.8.11", acKind: "PodManifest", apps, volumes, ...rest });
const podApp = (name: string, key: keyof typeof IDS, mounts: unknown[] = [], rest: Record<string, unknown> = {}) => ({ name, image: { id: IDS[key] }, mounts, ...rest });

const env = (name: string, extra: Array<[string, string]> = [], path = DEFAULT_PATH) => [
  { name: "PATH", value: path },
  { name: "AC_APP_NAME", value: name },
  { name: "AC_METADATA_URL", value: "http://10.99.0.1:2375/t0ken" },
  { name: "container", value: "jetpack" },
  ...extra.map(([n, value]) => ({ name: n, value })),
];
/** The whole RunApp of app `index` from image `key`; `over` replaces fields. */
const runApp = (name: string, index: number, key: keyof typeof IDS, over: Partial<RunApp>): RunApp =>
  testRunApp(DIR, name, index, { imageId: IDS[key], imageName: IMAGES[key].name, environment: env(name), ...over });
const spec = (apps: RunApp[], over: Partial<PodRunSpec> = {}): PodRunSpec => testRunSpec(UUID, DIR, apps, over);
const emptyVolume = (name: string, mode = "0755", uid = 0, gid = 0) => ({ name, kind: "empty" as const, source: `${DIR}/volumes/${name}`, readOnly: false, mode, uid, gid });
const emptyMount = (volume: string, target: string, readOnly = false) => ({ source: `${DIR}/volumes/${volume}`, target, readOnly, volume, kind: "empty" as const, recursive: false });
const dbApp = { exec: ["/usr/bin/db", "--serve"], user: { user: "db", group: "db", supplementaryGids: [] }, environment: env("db", [["DB_MODE", "fast"]]) };

const cases: Array<{ title: string; pod: PodManifest; ctx?: PlanContext; expected: PodRunSpec }> = [
  {
    title: "one app whose mount points got empty volumes: its command, user, environment and mounts",
    pod: pod([podApp("db", "db", [{ volume: "data", path: "/var/lib/db" }, { volume: "logs", path: "/var/log/db/" }])], [{ name: "data", kind: "empty" }, { name: "logs", kind: "empty" }]),
    expected: spec([runApp("db", 0, "db", { ...dbApp, mounts: [emptyMount("data", "/var/lib/db"), emptyMount("logs", "/var/log/db", true)] })], {
      volumes: [emptyVolume("data"), emptyVolume("logs")],
    }),
  },
  {
    title: "two apps share one empty volume, which keeps its mode and owner",
    pod: pod([podApp("a", "busybox", [{ volume: "shared", path: "/shared" }]), podApp("b", "busybox", [{ volume: "shared", path: "/data/shared" }])], [{ name: "shared", kind: "empty", mode: "0770", uid: 1000, gid: 100 }]),
    expected: spec([runApp("a", 0, "busybox", { mounts: [emptyMount("shared", "/shared")] }), runApp("b", 1, "busybox", { mounts: [emptyMount("shared", "/data/shared")] })], {
      volumes: [emptyVolume("shared", "0770", 1000, 100)],
    }),
  },
  {
    title: "a read-only host volume is mounted read-only, and so is a writable one on a read-only mount point",
    pod: pod([podApp("db", "db", [{ volume: "data", path: "/var/lib/db" }, { volume: "logs", path: "/var/log/db" }])], [
      { name: "data", kind: "host", source: "/srv/db", readOnly: true },
      { name: "logs", kind: "host", source: "/srv/logs", recursive: false },
    ]),
    expected: spec(
      [
        runApp("db", 0, "db", {
          ...dbApp,
          mounts: [
            { source: "/srv/db", target: "/var/lib/db", readOnly: true, volume: "data", kind: "host", recursive: true },
            { source: "/srv/logs", target: "/var/log/db", readOnly: true, volume: "logs", kind: "host", recursive: false },
          ],
        }),
      ],
      {
        volumes: [
          { name: "data", kind: "host", source: "/srv/db", readOnly: true, mode: null, uid: null, gid: null },
          { name: "logs", kind: "host", source: "/srv/logs", readOnly: false, mode: null, uid: null, gid: null },
        ],
      },
    ),
  },
  {
    title: "a pod's app override replaces the image's app whole: exec, user, groups, directory, environment, mount points",
    pod: pod(
      [podApp("db", "db", [{ volume: "data", path: "/var/lib/db" }], { readOnlyRootFS: true, app: { exec: ["/bin/sh", "-c", "db --check"], user: "nobody", group: "nogroup", supplementaryGIDs: [10, 20], workingDirectory: "/tmp" } })],
      [{ name: "data", kind: "empty" }],
    ),
    expected: spec(
      [
        runApp("db", 0, "db", {
          readOnlyRootFS: true,
          exec: ["/bin/sh", "-c", "db --check"],
          user: { user: "nobody", group: "nogroup", supplementaryGids: [10, 20] },
          workingDirectory: "/tmp",
          mounts: [emptyMount("data", "/var/lib/db")],
        }),
      ],
      { volumes: [emptyVolume("data")] },
    ),
  },
  {
    title: "the environment is PATH, AC_APP_NAME, AC_METADATA_URL, container, then the app's: its PATH wins in place, the runtime's names are kept",
    pod: pod([podApp("web", "web")]),
    ctx: ctx({ hostIsolators: { cgroups: false } }),
    expected: spec([
      runApp("web", 0, "web", {
        exec: ["web"],
        user: { user: "www", group: "www", supplementaryGids: [] },
        environment: env("web", [["HOME", "/srv"], ["LANG", "C.UTF-8"]], "/opt/web/bin:/bin"),
        isolators: {
          enforced: [],
          ignored: [
            { name: "resource/memory", reason: "this host has no cgroups to enforce it with" },
            { name: "os/linux/capabilities-retain-set", reason: "not enforced by jetpack yet" },
            { name: "resource/cpu", reason: "this host has no cgroups to enforce it with" },
            { name: "os/unix/sysctl", reason: "os/unix/sysctl applies to pods, not to apps" },
          ],
        },
      }),
    ]),
  },
  {
    title: "with cgroups, memory and cpu are enforced (app and pod level) and the rest is reported",
    pod: pod([podApp("web", "web")], [], { isolators: [{ name: "resource/memory", value: { limit: "1Gi" } }, { name: "os/unix/sysctl", value: { "net.core.somaxconn": "1024" } }] }),
    expected: spec(
      [
        runApp("web", 0, "web", {
          exec: ["web"],
          user: { user: "www", group: "www", supplementaryGids: [] },
          environment: env("web", [["HOME", "/srv"], ["LANG", "C.UTF-8"]], "/opt/web/bin:/bin"),
          isolators: {
            enforced: [
              { name: "resource/memory", value: { default: false, limit: "512Mi" } },
              { name: "resource/cpu", value: { default: false, request: "500m", limit: "1" } },
            ],
            ignored: [
              { name: "os/linux/capabilities-retain-set", reason: "not enforced by jetpack yet" },
              { name: "os/unix/sysctl", reason: "os/unix/sysctl applies to pods, not to apps" },
            ],
          },
        }),
      ],
      { isolators: [{ name: "resource/memory", value: { default: false, limit: "1Gi" } }] },
    ),
  },
  {
    title: "an image without app runs /bin/sh as root on Linux and login -fp root on FreeBSD; an empty exec gets the same",
    pod: pod([podApp("busybox", "busybox"), podApp("base", "base"), podApp("plain", "plain"), podApp("no-exec", "noExec")]),
    expected: spec([
      runApp("busybox", 0, "busybox", {}),
      runApp("base", 1, "base", { os: "freebsd", exec: ["/usr/bin/login", "-fp", "root"] }),
      runApp("plain", 2, "plain", { os: null }),
      runApp("no-exec", 3, "noExec", { user: { user: "1000", group: "1000", supplementaryGids: [] } }),
    ]),
  },
  {
    title: "the hostname annotation names the host; the pod keeps its annotations; no address gives ip null",
    pod: pod([podApp("busybox", "busybox")], [], { annotations: [{ name: "hostname", value: "build-7.example.com" }, { name: "team", value: "ci" }] }),
    ctx: ctx({ ip: null }),
    expected: spec([runApp("busybox", 0, "busybox", {})], {
      hostname: "build-7.example.com",
      ip: null,
      annotations: [{ name: "hostname", value: "build-7.example.com" }, { name: "team", value: "ci" }],
    }),
  },
];

describe("planning a pod", () => {
  for (const c of cases) {
    it(c.title, () => {
      assert.deepEqual(planPod(c.pod, c.ctx ?? ctx()), c.expected);
    });
  }

  it("plans the spec's example pod_runtime.json: override, host and empty volumes, handlers, defaults, pod isolators", () => {
    const fixture = (file: string) => JSON.parse(readFileSync(repoPath(file), "utf8")) as Record<string, unknown>;
    const images = new Map(Object.entries(fixture("test/fixtures/pod/pod_runtime-images.json")).map(([imageId, m]) => [imageId, parseImageManifest(m)]));
    const example = parsePodManifest(fixture("test/fixtures/appc/pod/valid/pod_runtime.json"));
    const uuid = "6733c1ad-b0b4-4ba4-8b5d-4c3bba1c5a4e";
    const planned = planPod(example, { uuid, images, paths: { podDir: `/var/lib/jetpack/pods/${uuid}` }, ip: "10.1.2.3", metadataUrl: "http://10.1.2.1:2375/p0d-t0ken", hostIsolators: { cgroups: true } });
    assert.deepEqual(planned, fixture("test/fixtures/pod/pod_runtime-plan.json"));
  });

  it("reports pod isolators it does not enforce, with the reason", () => {
    const isolators = pod([], [], { isolators: [{ name: "resource/memory", value: { limit: "4G" } }, { name: "os/unix/sysctl", value: {} }, { name: "os/linux/no-new-privileges", value: true }] }).isolators;
    assert.deepEqual(planPodIsolators(isolators, { cgroups: false }), {
      enforced: [],
      ignored: [
        { name: "resource/memory", reason: "this host has no cgroups to enforce it with" },
        { name: "os/unix/sysctl", reason: "not enforced by jetpack yet" },
        { name: "os/linux/no-new-privileges", reason: "os/linux/no-new-privileges applies to apps, not to pods" },
      ],
    });
  });

  it("strips every trailing slash of the metadata URL", () => {
    assert.deepEqual(appEnvironment("a", "http://h/x//", [])[2], { name: "AC_METADATA_URL", value: "http://h/x" });
  });
});

describe("planning refuses", () => {
  const unknownAppIsolator = pod([podApp("busybox", "busybox")]);
  unknownAppIsolator.apps[0]!.app = { ...IMAGES.noExec.app!, isolators: [{ name: "example.com/turbo", value: {} }] };
  const table: Array<{ title: string; pod: PodManifest; kind: string; code: string; message: RegExp }> = [
    { title: "an image missing from the store, naming the app", pod: pod([{ name: "x", image: { id: id("9") } }]), kind: "not_found", code: "JP_ERR_IMAGE_NOT_FOUND", message: /^app "x": image sha512-9+ is not in the store$/ },
    { title: "an app not pinned by id", pod: pod([{ name: "x", image: { name: "example.com/db" } }]), kind: "invalid", code: "JP_ERR_POD_NOT_REIFIED", message: /^app "x": its image is not pinned by id$/ },
    { title: "a mount of an undeclared volume", pod: pod([podApp("x", "busybox", [{ volume: "gone", path: "/gone" }])]), kind: "invalid", code: "JP_ERR_POD_NOT_REIFIED", message: /mounts\[0\] names volume "gone"/ },
    { title: "a mount on a relative path", pod: pod([podApp("x", "busybox", [{ volume: "v", path: "data" }])], [{ name: "v", kind: "empty" }]), kind: "invalid", code: "JP_ERR_POD_NOT_REIFIED", message: /"data", which is not an absolute path/ },
    { title: "an unknown pod isolator", pod: pod([], [], { isolators: [{ name: "example.com/magic" }] }), kind: "invalid", code: "JP_ERR_POD_ISOLATOR_UNKNOWN", message: /^pod: isolator "example\.com\/magic"/ },
    { title: "an unknown app isolator", pod: unknownAppIsolator, kind: "invalid", code: "JP_ERR_POD_ISOLATOR_UNKNOWN", message: /^app "busybox": isolator "example\.com\/turbo"/ },
    { title: "two sysctl isolators on one pod", pod: pod([], [], { isolators: [{ name: "os/unix/sysctl", value: {} }, { name: "os/unix/sysctl", value: {} }] }), kind: "invalid", code: "JP_ERR_MANIFEST_INVALID", message: /too many instances/ },
    {
      title: "an event handler without a command",
      pod: pod([podApp("x", "busybox", [], { app: { user: "0", group: "0", exec: ["/bin/true"], eventHandlers: [{ name: "post-stop" }] } })]),
      kind: "invalid",
      code: "JP_ERR_POD_APP_HANDLER",
      message: /^app "x": its post-stop handler has no exec$/,
    },
    { title: "a hostname annotation that is no host name", pod: pod([], [], { annotations: [{ name: "hostname", value: "-bad" }] }), kind: "invalid", code: "JP_ERR_POD_HOSTNAME", message: /hostname "-bad"/ },
  ];
  for (const c of table) {
    it(c.title, () => {
      const err = refusal(() => planPod(c.pod, ctx()));
      assert.deepEqual({ kind: err.kind, code: err.code }, { kind: c.kind, code: c.code });
      assert.match(err.message, c.message);
    });
  }
});

// Builders of PodRunSpec values for tests of the planner and of the backends that render it.
import type { PodRunSpec, RunApp } from "../../machines/pod/run-spec.js";

/** A RunApp of a pod in `dir` with sensible defaults (root, `/`, no mounts); `over` replaces fields. */
export function testRunApp(dir: string, name: string, index: number, over: Partial<RunApp> = {}): RunApp {
  return {
    name,
    index,
    imageId: "sha512-x",
    imageName: "example.com/x",
    os: "linux",
    rootfs: `${dir}/rootfs/${index}`,
    readOnlyRootFS: false,
    exec: ["/bin/sh"],
    user: { user: "0", group: "0", supplementaryGids: [] },
    workingDirectory: "/",
    environment: [{ name: "AC_APP_NAME", value: name }],
    eventHandlers: [],
    mounts: [],
    isolators: { enforced: [], ignored: [] },
    ...over,
  };
}

/** A PodRunSpec of pod `uuid` in `dir` with these apps; `over` replaces fields. */
export function testRunSpec(uuid: string, dir: string, apps: RunApp[], over: Partial<PodRunSpec> = {}): PodRunSpec {
  return { uuid, hostname: uuid, paths: { dir, root: `${dir}/rootfs` }, ip: "10.99.0.2", apps, volumes: [], annotations: [], isolators: [], ...over };
}

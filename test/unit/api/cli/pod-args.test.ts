import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { mergeSpecs, parseArgs } from "../../../../api/cli/args.js";
import { GLOBAL_FLAGS } from "../../../../api/cli/cli.js";
import { runExitCode } from "../../../../api/cli/commands/pod-io.js";
import { POD_CREATE_FLAGS, parseVolumeFlag, podCreateArgs } from "../../../../api/cli/pod-args.js";
import { parseDuration } from "../../../../api/cli/time.js";

const parse = (argv: string[]) => podCreateArgs(parseArgs(argv, mergeSpecs(GLOBAL_FLAGS, POD_CREATE_FLAGS)));

describe("pod create arguments", () => {
  it("gives --app-name, -m and -a to the IMAGE before them, and -a before any IMAGE to the pod", () => {
    const r = parse(["--name", "web", "-a", "hostname=web1", "-v", "data", "example.com/a", "--app-name", "front", "-m", "data:/srv", "-a", "tier=1", "example.com/b", "-m", "data"]);
    assert.equal(r.name, "web");
    assert.deepEqual(r.template.annotations, [{ name: "hostname", value: "web1" }]);
    assert.deepEqual(r.template.apps, [
      { image: "example.com/a", name: "front", annotations: [{ name: "tier", value: "1" }], mounts: [{ volume: "data", path: "/srv" }] },
      { image: "example.com/b", annotations: [], mounts: [{ volume: "data" }] },
    ]);
    assert.deepEqual(r.template.volumes, [{ name: "data", kind: "empty" }]);
  });

  it("reads host volumes with their fields typed", () => {
    assert.deepEqual(parseVolumeFlag("logs,kind=host,source=/srv/logs,readOnly=true"), { name: "logs", kind: "host", source: "/srv/logs", readOnly: true });
    assert.deepEqual(parseVolumeFlag("scratch,mode=0700,uid=1000,gid=1000"), { name: "scratch", kind: "empty", mode: "0700", uid: 1000, gid: 1000 });
  });

  it("refuses a volume field it does not know, a flag before any image, and no image at all", () => {
    assert.throws(() => parseVolumeFlag("x,colour=red"), /unknown field colour/);
    assert.throws(() => parse(["--app-name", "x", "example.com/a"]), /comes before any IMAGE/);
    assert.throws(() => parse(["--name", "x"]), /at least one IMAGE/);
  });

  it("takes -f instead of images", () => {
    const r = parse(["-f", "pod.json", "--dry-run"]);
    assert.equal(r.file, "pod.json");
    assert.equal(r.dryRun, true);
  });
});

describe("jetpack run's exit code", () => {
  const app = (exitCode: number | null, signal: string | null = null) => ({ name: "a", image: "i", imageId: null, state: "exited" as const, exitCode, signal, reason: null });
  it("is the first non-zero exit code, 128 plus the signal for a killed app, else 0", () => {
    assert.equal(runExitCode([app(0), app(3), app(4)]), 3);
    assert.equal(runExitCode([app(null, "SIGKILL")]), 137);
    assert.equal(runExitCode([app(0), app(0)]), 0);
  });
});

describe("durations", () => {
  it("reads seconds, milliseconds and minutes, a bare number as seconds", () => {
    assert.equal(parseDuration("10s", "timeout"), 10_000);
    assert.equal(parseDuration("500ms", "timeout"), 500);
    assert.equal(parseDuration("2m", "timeout"), 120_000);
    assert.equal(parseDuration("3", "timeout"), 3000);
    assert.throws(() => parseDuration("soon", "timeout"), /--timeout soon is not a duration/);
  });
});

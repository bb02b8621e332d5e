// Golden files of the FreeBSD jail backend: what it would write and run for each pod, byte for byte.
//
// Each directory under test/fixtures/jail/ is one case:
//   spec.json     a PodRunSpec (what the planner hands the backend)
//   config.json   the jail backend settings (parseJailBackendConfig)
//   host.json     what the host would tell the backend: the jail's JID (from jls) and each app's resolved
//                 { uid, gid, gids } (from its rootfs's /etc/passwd and /etc/group)
//   jail.conf, fstab, commands.json   the expected output
//
// No FreeBSD host runs here, so these files are the spec of what we would run: review a change to them
// against reference/jetpack.md §3 and jail(8). To rewrite them from the current code after a deliberate
// change, run:   UPDATE_GOLDEN=1 npx tsx --test test/unit/workers/host/jail/golden.test.ts
// and read the diff before committing it.
import assert from "node:assert/strict";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { PodRunSpec } from "../../../../../machines/pod/run-spec.js";
import { appExecArgv, parseJailBackendConfig, podJailCommands, renderFstab, renderJailConf, type ResolvedIds } from "../../../../../workers/host/jail/index.js";
import { repoPath } from "../../../../support/repo.js";

const CASES_DIR = repoPath("test/fixtures/jail");
const UPDATE = process.env.UPDATE_GOLDEN === "1";
const INPUTS = ["spec.json", "config.json", "host.json"];
const OUTPUTS = ["jail.conf", "fstab", "commands.json"];

interface HostFacts {
  jid: number;
  ids: Record<string, ResolvedIds>;
}

function readJson<T>(dir: string, file: string): T {
  return JSON.parse(readFileSync(join(dir, file), "utf8")) as T;
}

function render(dir: string): Record<string, string> {
  const spec = readJson<PodRunSpec>(dir, "spec.json");
  const config = parseJailBackendConfig(readJson<unknown>(dir, "config.json"));
  const host = readJson<HostFacts>(dir, "host.json");
  const exec: Record<string, string[]> = {};
  for (const app of spec.apps) {
    const ids = host.ids[app.name];
    assert.ok(ids, `host.json of ${dir} has no ids for app ${app.name}`);
    exec[app.name] = appExecArgv(config, host.jid, app, ids);
  }
  const commands = { ...podJailCommands(spec, config), exec };
  return {
    "jail.conf": renderJailConf(spec, config),
    fstab: renderFstab(spec),
    "commands.json": `${JSON.stringify(commands, null, 2)}\n`,
  };
}

const cases = readdirSync(CASES_DIR, { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .map((e) => e.name)
  .sort();

describe("jail backend golden files", () => {
  it("has at least six cases, each with its inputs and expected files", () => {
    assert.ok(cases.length >= 6, `only ${cases.length} cases in ${CASES_DIR}`);
    for (const name of cases) {
      const files = readdirSync(join(CASES_DIR, name));
      for (const f of INPUTS) assert.ok(files.includes(f), `${name} lacks ${f}`);
      if (!UPDATE) for (const f of OUTPUTS) assert.ok(files.includes(f), `${name} lacks ${f} (run with UPDATE_GOLDEN=1 to write it)`);
    }
  });

  for (const name of cases) {
    it(`renders the "${name}" pod exactly as its golden files say`, () => {
      const dir = join(CASES_DIR, name);
      const actual = render(dir);
      for (const file of OUTPUTS) {
        const content = actual[file] ?? "";
        if (UPDATE) writeFileSync(join(dir, file), content);
        else assert.equal(content, readFileSync(join(dir, file), "utf8"), `${name}/${file} differs from what the code renders`);
      }
    });
  }
});

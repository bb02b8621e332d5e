// Benchmark: `jetpack image fetch` of a ~200 MB image over loopback HTTPS, beside curl downloading the
// same file in the same run; then a fetch killed half-way (kill -9 of the daemon) and resumed, counting
// the bytes the server had to send twice.
// Usage (as root, after ops/setup.sh): node dist/ops/bench/fetch.js [SIZE_MB]
import { execFile, execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { startTestDaemon, sleep, teardown } from "../../test/support/daemon.js";
import { startHttpsServer } from "../../test/support/https-server.js";
import { makeRegistry } from "../../test/support/registry.js";
import { repoPath } from "../../test/support/repo.js";
import { createTestPool } from "../../test/support/zfs-pool.js";

const sizeMb = Number(process.argv[2] ?? 200);
const work = mkdtempSync("/var/tmp/jetpack-bench-fetch-");
const name = "127.0.0.1/bench/big";
const MB = 1024 * 1024;

function makeImage(): Buffer {
  execFileSync("bash", [
    "-c",
    `set -e; cd '${work}'; mkdir -p img/rootfs
     node '${repoPath("ops/bench/gen-tree.mjs")}' img/rootfs ${sizeMb} >/dev/null
     printf '{"acKind":"ImageManifest","acVersion":"0.8.11","name":"${name}","labels":[{"name":"version","value":"1.0.0"},{"name":"os","value":"linux"},{"name":"arch","value":"amd64"}]}' > img/manifest
     tar --numeric-owner -C img -cf big.aci manifest rootfs; rm -rf img`,
  ]);
  return readFileSync(`${work}/big.aci`);
}

async function main(): Promise<void> {
  const aci = makeImage();
  const reg = makeRegistry();
  const server = await startHttpsServer((req, res) => reg.handler(req, res));
  const ca = `${work}/ca.pem`;
  writeFileSync(ca, server.caPem);
  reg.files.set("/bench/big?ac-discovery=1", Buffer.from(reg.discoveryPage("127.0.0.1/bench", server.url, false)));
  const path = `/images/${name}-1.0.0-linux-amd64.aci`;
  reg.files.set(path, aci);
  const pool = await createTestPool({ sizeMiB: 4096 });
  const daemon = await startTestDaemon({ zfsRoot: `${pool.pool}/jetpack`, args: ["--ca", ca, "--discovery-port", String(server.port)] });
  try {
    // curl in a child process: this process serves the files, so it must not block.
    // Both rates are timed by the server, from the request to the last byte sent, so that discovery and
    // process start-up count for neither.
    const served = () => reg.log.filter((e) => e.path === path && e.endedAt !== null).at(-1)!;
    await execFileAsync("curl", ["-s", "--cacert", ca, "-o", `${work}/curl.out`, `${server.url}${path}`]);
    const curlGet = served();
    const curl = (curlGet.endedAt! - curlGet.startedAt) / 1000;
    rmSync(`${work}/curl.out`);

    const timeline = await fetchWithTimeline(daemon, name);
    const ourGet = served();
    const ours = (ourGet.endedAt! - ourGet.startedAt) / 1000;
    console.log(`image: ${(aci.length / MB).toFixed(1)} MB`);
    console.log(`curl download:            ${curl.toFixed(2)} s  ${(aci.length / MB / curl).toFixed(1)} MB/s`);
    console.log(`jetpack fetch download:   ${ours.toFixed(2)} s  ${(aci.length / MB / ours).toFixed(1)} MB/s  (rate ${(curl / ours).toFixed(2)}x of curl's)`);
    console.log(`jetpack fetch in all:     ${timeline.totalSeconds.toFixed(2)} s  (discovery, download, import into ZFS)`);

    // Resume: throttle, kill the daemon half-way, restart, count what the server sent twice.
    daemon.cli(["image", "destroy", timeline.id]);
    reg.log.length = 0;
    reg.rate = 40 * MB;
    const start = await daemon.request("POST", "/v1/images/fetch", { image: `${name}:1.0.0`, insecureOptions: ["image"] });
    for (;;) {
      const p = (await daemon.request("GET", `/v1/operations/${start.json.id}`)).json.progress;
      if (p?.stage === "downloading" && p.bytes > aci.length / 2) break;
      await sleep(20);
    }
    await daemon.crash();
    reg.rate = undefined;
    await daemon.restart();
    await daemon.waitOp(start.json.id);
    const sent = reg.log.filter((e) => e.path === path).reduce((n, e) => n + e.bytesSent, 0);
    console.log(`resume after kill -9:     ${((sent - aci.length) / MB).toFixed(2)} MB sent twice (${reg.log.filter((e) => e.path === path).length} requests)`);
  } finally {
    await server.close();
    await teardown(daemon, pool, work);
  }
}

function execFileAsync(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => execFile(cmd, args, (err) => (err ? reject(err) : resolve())));
}

async function fetchWithTimeline(daemon: Awaited<ReturnType<typeof startTestDaemon>>, image: string) {
  const t0 = performance.now();
  const r = await daemon.request("POST", "/v1/images/fetch", { image: `${image}:1.0.0`, insecureOptions: ["image"] });
  for (;;) {
    const op = (await daemon.request("GET", `/v1/operations/${r.json.id}`)).json;
    if (op.state === "succeeded" || op.state === "failed") {
      if (op.state === "failed") throw new Error(JSON.stringify(op.error));
      return { id: op.result.id as string, totalSeconds: (performance.now() - t0) / 1000 };
    }
    await sleep(20);
  }
}

main().catch((err) => {
  console.error(err);
  rmSync(work, { recursive: true, force: true });
  process.exit(1);
});

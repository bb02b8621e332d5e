// Real namespaces, veths and a bridge (we run as root). Every name is unique to this run: a test bridge
// and a 10.251.<random>.0/24 pool, so a running daemon's jetpack0 is never touched.
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFile, execFileSync, spawnSync } from "node:child_process";
import { promisify } from "node:util";
import { existsSync } from "node:fs";
import { randomBytes, randomUUID } from "node:crypto";
import { createServer, type AddressInfo } from "node:net";
import { parsePool } from "../../../machines/network/pool.js";
import {
  addressAnswers,
  ensureBridge,
  hostVethName,
  listPodNetworks,
  netnsName,
  removeBridge,
  setupPodNetwork,
  teardownPodNetwork,
} from "../../../workers/host/network/index.js";

const execFileAsync = promisify(execFile);
const bridge = `jpt${randomBytes(3).toString("hex")}`;
const pool = parsePool(`10.251.${randomBytes(1)[0] ?? 7}.0/24`);
const uuids: string[] = [];

function newPod(): string {
  const uuid = randomUUID();
  uuids.push(uuid);
  return uuid;
}

function sh(cmd: string, args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { encoding: "utf8", timeout: 20_000 });
  return { code: r.status ?? 1, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
}

function linkJson(dev: string, netns?: string): { master?: string; flags?: string[]; addr_info?: Array<{ family: string; local: string; prefixlen: number }> } | undefined {
  const r = sh("ip", ["-j", ...(netns ? ["-n", netns] : []), "addr", "show", "dev", dev]);
  if (r.code !== 0) return undefined;
  return (JSON.parse(r.stdout) as Array<ReturnType<typeof linkJson>>)[0];
}

function ipv4Of(dev: string, netns?: string): string[] {
  return (linkJson(dev, netns)?.addr_info ?? []).filter((a) => a.family === "inet").map((a) => `${a.local}/${a.prefixlen}`);
}

/**
 * A TCP connect from inside the pod's namespace to the host, as the metadata service will be reached.
 * Asynchronous: the server answering it runs on this test's own event loop.
 */
async function podFetchesFromHost(netns: string, host: string, port: number): Promise<string> {
  const script = `const s=require("net").connect(${port},${JSON.stringify(host)});let d="";s.setTimeout(3000,()=>process.exit(3));s.on("data",b=>d+=b);s.on("end",()=>{process.stdout.write(d)});s.on("error",e=>{console.error(e.message);process.exit(2)})`;
  const { stdout } = await execFileAsync("ip", ["netns", "exec", netns, process.execPath, "-e", script], { encoding: "utf8", timeout: 20_000 });
  return stdout;
}

after(async () => {
  for (const uuid of uuids) {
    await teardownPodNetwork(uuid).catch(() => {});
    sh("ip", ["link", "del", "dev", `${hostVethName(uuid)}x`]);
  }
  await removeBridge(bridge).catch(() => {});
});

describe("pod network on a real bridge", () => {
  it("gives two pods their own namespace and address, and each reaches the gateway while the host reaches each pod", async () => {
    await ensureBridge({ pool, bridge }); // the gateway address must exist before the host listens on it
    const server = createServer((sock) => sock.end(`hello ${sock.remoteAddress}`));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, pool.gateway, resolve);
    });
    try {
      const port = (server.address() as AddressInfo).port;
      const pods = [
        { uuid: newPod(), ip: "" },
        { uuid: newPod(), ip: "" },
      ];
      pods[0]!.ip = pool.firstPodAddress;
      pods[1]!.ip = pool.lastPodAddress;
      for (const pod of pods) {
        const net = await setupPodNetwork({ uuid: pod.uuid, ip: pod.ip, pool, bridge });
        assert.equal(net.netnsName, netnsName(pod.uuid));
        assert.equal(net.netnsPath, `/run/netns/${net.netnsName}`);
        assert.ok(existsSync(net.netnsPath), "the sandbox can open the namespace file");
        assert.equal(linkJson(net.hostVeth)?.master, bridge);
        assert.deepEqual(ipv4Of("eth0", net.netnsName), [`${pod.ip}/${pool.prefixLength}`]);
        assert.ok(linkJson("lo", net.netnsName)?.flags?.includes("UP"), "loopback is up");
        assert.match(sh("ip", ["-n", net.netnsName, "route", "show", "default"]).stdout, new RegExp(`default via ${pool.gateway.replaceAll(".", "\\.")} dev eth0`));
      }
      assert.deepEqual(ipv4Of(bridge), [`${pool.gateway}/${pool.prefixLength}`]);
      for (const pod of pods) {
        assert.equal(await podFetchesFromHost(netnsName(pod.uuid), pool.gateway, port), `hello ${pod.ip}`);
        assert.equal(sh("busybox", ["ping", "-c", "1", "-W", "2", pod.ip]).code, 0, `the host pings ${pod.ip}`);
      }
      const listed = await listPodNetworks();
      for (const pod of pods) assert.ok(listed.includes(netnsName(pod.uuid)));
    } finally {
      server.close();
    }
  });

  it("changes nothing when setup runs again for a pod already set up", async () => {
    const uuid = newPod();
    const ip = "" + pool.firstPodAddress.replace(/\.2$/, ".10");
    const first = await setupPodNetwork({ uuid, ip, pool, bridge });
    const before = sh("ip", ["-n", first.netnsName, "-j", "link", "show", "dev", "eth0"]).stdout;
    const second = await setupPodNetwork({ uuid, ip, pool, bridge });
    assert.deepEqual(second, first);
    const afterRun = sh("ip", ["-n", first.netnsName, "-j", "link", "show", "dev", "eth0"]).stdout;
    assert.equal(JSON.parse(afterRun)[0].ifindex, JSON.parse(before)[0].ifindex, "eth0 is the same device, not a new one");
    assert.deepEqual(ipv4Of("eth0", first.netnsName), [`${ip}/${pool.prefixLength}`]);
  });

  it("removes the veth and the namespace on teardown, and a second teardown is fine", async () => {
    const uuid = newPod();
    const net = await setupPodNetwork({ uuid, ip: pool.firstPodAddress.replace(/\.2$/, ".11"), pool, bridge });
    await teardownPodNetwork(uuid);
    assert.equal(linkJson(net.hostVeth), undefined);
    assert.equal(existsSync(net.netnsPath), false);
    assert.ok(!(await listPodNetworks()).includes(net.netnsName));
    await teardownPodNetwork(uuid);
    await teardownPodNetwork(randomUUID());
  });

  it("completes a setup that stopped after creating the namespace", async () => {
    const uuid = newPod();
    const ip = pool.firstPodAddress.replace(/\.2$/, ".12");
    execFileSync("ip", ["netns", "add", netnsName(uuid)]);
    const net = await setupPodNetwork({ uuid, ip, pool, bridge });
    assert.deepEqual(ipv4Of("eth0", net.netnsName), [`${ip}/${pool.prefixLength}`]);
    assert.equal(linkJson(net.hostVeth)?.master, bridge);
  });

  it("completes a setup that stopped after creating the veth pair, before any address", async () => {
    const uuid = newPod();
    const ip = pool.firstPodAddress.replace(/\.2$/, ".13");
    execFileSync("ip", ["netns", "add", netnsName(uuid)]);
    execFileSync("ip", ["link", "add", "name", hostVethName(uuid), "type", "veth", "peer", "name", "eth0", "netns", netnsName(uuid)]);
    const net = await setupPodNetwork({ uuid, ip, pool, bridge });
    assert.deepEqual(ipv4Of("eth0", net.netnsName), [`${ip}/${pool.prefixLength}`]);
    assert.ok(linkJson(net.hostVeth)?.flags?.includes("UP"));
  });

  it("redoes a veth whose pod end never reached the namespace, and replaces a wrong address", async () => {
    const uuid = newPod();
    const ip = pool.firstPodAddress.replace(/\.2$/, ".14");
    execFileSync("ip", ["netns", "add", netnsName(uuid)]);
    execFileSync("ip", ["link", "add", "name", hostVethName(uuid), "type", "veth", "peer", "name", `${hostVethName(uuid)}x`]);
    const net = await setupPodNetwork({ uuid, ip, pool, bridge });
    assert.equal(linkJson(`${hostVethName(uuid)}x`), undefined, "the stray host-side peer is gone");
    assert.deepEqual(ipv4Of("eth0", net.netnsName), [`${ip}/${pool.prefixLength}`]);
    execFileSync("ip", ["-n", net.netnsName, "addr", "add", `${pool.firstPodAddress.replace(/\.2$/, ".99")}/24`, "dev", "eth0"]);
    await setupPodNetwork({ uuid, ip, pool, bridge });
    assert.deepEqual(ipv4Of("eth0", net.netnsName), [`${ip}/${pool.prefixLength}`]);
  });

  it("leaves a bridge that already has the gateway address alone", async () => {
    const state = await ensureBridge({ pool, bridge });
    assert.equal(state.created, false);
    assert.deepEqual(ipv4Of(bridge), [`${pool.gateway}/${pool.prefixLength}`]);
  });

  it("says the gateway answers, a free address does not (within about a second), and a pod's own address does not count for it", async () => {
    assert.equal(await addressAnswers(pool.gateway, { bridge }), true);
    const started = Date.now();
    assert.equal(await addressAnswers(pool.firstPodAddress.replace(/\.2$/, ".200"), { bridge, timeoutMs: 1000 }), false);
    assert.ok(Date.now() - started < 1600, `a free address took ${Date.now() - started} ms`);
    const uuid = newPod();
    const ip = pool.firstPodAddress.replace(/\.2$/, ".15");
    await setupPodNetwork({ uuid, ip, pool, bridge });
    assert.equal(await addressAnswers(ip, { bridge }), true, "another pod asking for it hears this pod");
    assert.equal(await addressAnswers(ip, { bridge, forPod: uuid }), false, "the pod that holds it may keep it");
  });
});

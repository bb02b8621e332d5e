import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { arpingArgs, arpingHeardReply, pingArgs } from "../../../../../workers/host/network/probe.js";

describe("address probe argv", () => {
  it("pings once, numerically, waiting whole seconds", () => {
    assert.deepEqual(pingArgs("10.0.0.2", 1), ["-n", "-q", "-c", "1", "-W", "1", "10.0.0.2"]);
  });

  it("sends one ARP duplicate-address probe on the bridge", () => {
    assert.deepEqual(arpingArgs("10.0.0.2", "jetpack0", 1), ["arping", "-D", "-f", "-c", "1", "-w", "1", "-I", "jetpack0", "10.0.0.2"]);
  });

  it("counts an ARP reply as an answer and silence as none", () => {
    const heard = "ARPING 10.0.0.2 from 0.0.0.0 jetpack0\nUnicast reply from 10.0.0.2 [06:e7:1c:a8:e9:34] 0.014ms\nSent 1 probe(s) (0 broadcast(s))\nReceived 1 response(s) (0 request(s), 0 broadcast(s))\n";
    const silent = "ARPING 10.0.0.3 from 0.0.0.0 jetpack0\nSent 1 probe(s) (0 broadcast(s))\nReceived 0 response(s) (0 request(s), 0 broadcast(s))\n";
    assert.equal(arpingHeardReply(heard), true);
    assert.equal(arpingHeardReply(silent), false);
    assert.equal(arpingHeardReply(""), false);
  });
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  displayImageId,
  formatFields,
  formatTable,
  humanBytes,
  humanDuration,
  imageNameWithLabels,
  jsonText,
  localTime,
  shortStream,
} from "../../../../api/cli/format.js";
import { formatImageName } from "../../../../machines/appc/index.js";

const ID = `sha512-${"ab".repeat(64)}`;

describe("output formatting", () => {
  it("aligns table columns to the widest cell, without trailing blanks", () => {
    const text = formatTable(["ID", "NAME", "SIZE"], [["a", "example.com/long-name", "1 B"], ["bbbb", "x", ""]]);
    assert.equal(text, ["ID    NAME                   SIZE", "a     example.com/long-name  1 B", "bbbb  x"].join("\n") + "\n");
  });

  it("prints just the header of an empty table", () => {
    assert.equal(formatTable(["ID", "NAME"], []), "ID  NAME\n");
  });

  it("aligns the values of key: value lines", () => {
    assert.equal(formatFields([["ID", "x"], ["Imported", "y"]]), "ID:        x\nImported:  y\n");
  });

  it("shows sizes in binary units with three significant digits", () => {
    assert.equal(humanBytes(0), "0 B");
    assert.equal(humanBytes(1023), "1023 B");
    assert.equal(humanBytes(1536), "1.50 KiB");
    assert.equal(humanBytes(12.34 * 1024 * 1024), "12.3 MiB");
    assert.equal(humanBytes(456 * 1024 ** 3), "456 GiB");
    assert.equal(humanBytes(3 * 1024 ** 6), "3072 PiB");
  });

  it("shows durations in the two largest units", () => {
    assert.equal(humanDuration(4.4), "4s");
    assert.equal(humanDuration(185), "3m05s");
    assert.equal(humanDuration(2 * 3600 + 7 * 60), "2h07m");
    assert.equal(humanDuration(3 * 86400 + 4 * 3600), "3d04h");
    assert.equal(humanDuration(-1), "0s");
  });

  it("shows times in local time to the second", () => {
    assert.equal(localTime(new Date(2024, 4, 1, 9, 3, 4, 999)), "2024-05-01 09:03:04");
    assert.equal(localTime(new Date(2024, 11, 31, 23, 59, 59).toISOString()), "2024-12-31 23:59:59");
    assert.equal(localTime("not a time"), "not a time");
  });

  it("shortens image IDs to sha512- and 12 hex digits unless asked for the whole", () => {
    assert.equal(displayImageId(ID), `sha512-${"ab".repeat(6)}`);
    assert.equal(displayImageId(ID, true), ID);
    assert.equal(displayImageId("something-else"), "something-else");
  });

  it("renders an image name with its version after a colon and the other labels sorted", () => {
    const labels = [{ name: "os", value: "linux" }, { name: "version", value: "1.0" }, { name: "arch", value: "amd64" }];
    assert.equal(imageNameWithLabels("example.com/app", labels), "example.com/app:1.0,arch=amd64,os=linux");
    assert.equal(imageNameWithLabels("example.com/app", [{ name: "os", value: "linux" }]), "example.com/app,os=linux");
    assert.equal(imageNameWithLabels("example.com/app", []), "example.com/app");
  });

  it("renders image names exactly as machines/appc formatImageName does", () => {
    const cases = [
      [],
      [{ name: "version", value: "v1.2.3-rc.1" }],
      [{ name: "os", value: "linux" }, { name: "version", value: "1.0" }, { name: "arch", value: "amd64" }],
      [{ name: "zeta", value: "z" }, { name: "alpha", value: "a=b" }, { name: "os", value: "freebsd" }],
    ];
    for (const labels of cases) assert.equal(imageNameWithLabels("example.com/app", labels), formatImageName("example.com/app", labels));
  });

  it("shortens a stream to its kind and 8 characters of its key", () => {
    assert.equal(shortStream("image/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0"), "image/0b1c2d3e");
    assert.equal(shortStream("odd"), "odd");
  });

  it("prints JSON indented and ending in a newline", () => {
    assert.equal(jsonText({ a: [1] }), '{\n  "a": [\n    1\n  ]\n}\n');
  });
});

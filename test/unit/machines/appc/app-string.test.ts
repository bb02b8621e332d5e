import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { JetpackError } from "../../../../machines/errors.js";
import { parseAppString } from "../../../../machines/appc/index.js";

function failure(s: string): string {
  try {
    parseAppString(s);
  } catch (err) {
    assert.ok(err instanceof JetpackError);
    assert.equal(err.kind, "invalid");
    assert.equal(err.code, "JP_ERR_APP_STRING");
    return err.message;
  }
  assert.fail(`expected ${s} to be refused`);
}

describe("app strings (NAME[:VERSION][,LABEL=VALUE...])", () => {
  it("split a name, a version after the colon and labels, in the order written", () => {
    assert.deepEqual(parseAppString("example.com/app:1.0.0,os=linux,arch=amd64"), {
      name: "example.com/app",
      labels: [
        { name: "version", value: "1.0.0" },
        { name: "os", value: "linux" },
        { name: "arch", value: "amd64" },
      ],
    });
    assert.deepEqual(parseAppString("example.com/app"), { name: "example.com/app", labels: [] });
  });

  it("keep label values literally, reserved URL characters included", () => {
    assert.deepEqual(parseAppString("a,v=x!*'();@&+$/?#[]%2B y").labels, [{ name: "v", value: "x!*'();@&+$/?#[]%2B y" }]);
    assert.deepEqual(parseAppString("a,v=1=2").labels, [{ name: "v", value: "1=2" }]);
  });

  it("refuse a repeated label, the version given twice included", () => {
    assert.equal(failure("a:1,version=2"), 'invalid image name "a:1,version=2": label version with multiple values ["1" "2"]');
    assert.equal(failure("a,os=linux,os=freebsd"), 'invalid image name "a,os=linux,os=freebsd": label os with multiple values ["linux" "freebsd"]');
  });

  it("refuse a colon anywhere but straight after the name, or twice", () => {
    assert.equal(failure("a,os=linux:1"), 'invalid image name "a,os=linux:1": malformed app string - colon may appear only right after the app name');
    assert.equal(failure("a:1:2"), 'invalid image name "a:1:2": malformed app string - colon may appear at most once');
  });

  it("refuse names and label names that are not AC Identifiers", () => {
    assert.equal(failure("Example.com/app"), 'invalid image name "Example.com/app": name "Example.com/app": ACIdentifier must contain only lower case alphanumeric characters plus "-._~/"');
    assert.equal(failure(""), 'invalid image name "": name "": ACIdentifier cannot be empty');
    assert.equal(failure("a,OS=linux"), 'invalid image name "a,OS=linux": label "OS": ACIdentifier must contain only lower case alphanumeric characters plus "-._~/"');
  });

  it("refuse a label without a value", () => {
    assert.equal(failure("a,os"), 'invalid image name "a,os": malformed string "name=a,os" - has a label without a value: os');
  });

  it("accept an empty version after the colon, as Go does", () => {
    assert.deepEqual(parseAppString("a:").labels, [{ name: "version", value: "" }]);
  });
});

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { JetpackError } from "../../../../../machines/errors.js";
import { classifyId, parseGroup, parsePasswd, resolveId } from "../../../../../workers/host/linux/users.js";

const PASSWD = "root:x:0:0:root:/root:/bin/sh\n# a comment\n\nbroken line\nweb:x:33:33::/var/www:/bin/false\n1000:x:4242:4242::/:/bin/sh\n";
const GROUP = "root:x:0:\nwww-data:x:33:web\nbad:x:notanumber:\n";
const noPaths = () => undefined;

describe("parsePasswd and parseGroup", () => {
  it("read names and ids, skipping comments, blank and malformed lines", () => {
    assert.deepEqual(parsePasswd(PASSWD), [
      { name: "root", id: 0 },
      { name: "web", id: 33 },
      { name: "1000", id: 4242 },
    ]);
    assert.deepEqual(parseGroup(GROUP), [
      { name: "root", id: 0 },
      { name: "www-data", id: 33 },
    ]);
  });
});

describe("classifyId", () => {
  it("tells paths from names, and notes when a name also reads as a number", () => {
    assert.deepEqual(classifyId("/usr/bin/ping"), { kind: "path", path: "/usr/bin/ping" });
    assert.deepEqual(classifyId("web"), { kind: "name", name: "web", number: null });
    assert.deepEqual(classifyId("1000"), { kind: "name", name: "1000", number: 1000 });
    assert.deepEqual(classifyId("-1"), { kind: "name", name: "-1", number: null });
  });
});

describe("resolveId (appc §1.4 order)", () => {
  it("finds a user name in the image's /etc/passwd", () => {
    assert.equal(resolveId({ app: "a", what: "user", value: "web", table: parsePasswd(PASSWD), ownerOf: noPaths }), 33);
  });

  it("uses a number as it is when the image has no /etc/passwd at all", () => {
    assert.equal(resolveId({ app: "a", what: "user", value: "1234", table: [], ownerOf: noPaths }), 1234);
  });

  it("prefers a name in the table over the number the string spells, as the spec orders", () => {
    assert.equal(resolveId({ app: "a", what: "user", value: "1000", table: parsePasswd(PASSWD), ownerOf: noPaths }), 4242);
  });

  it("takes the owner of a path in the rootfs for a value starting with /", () => {
    assert.equal(resolveId({ app: "a", what: "group", value: "/bin/ping", table: [], ownerOf: (p) => (p === "/bin/ping" ? 7 : undefined) }), 7);
  });

  it("refuses an unknown name, naming the app, the user and the file", () => {
    assert.throws(
      () => resolveId({ app: "web-main", what: "user", value: "nobody-here", table: parsePasswd(PASSWD), ownerOf: noPaths }),
      (e: unknown) => e instanceof JetpackError && e.code === "JP_ERR_POD_APP_USER" && e.kind === "invalid" && /app "web-main"/.test(e.message) && /"nobody-here"/.test(e.message) && /\/etc\/passwd/.test(e.message),
    );
  });

  it("refuses a group path that does not exist in the rootfs, naming the path", () => {
    assert.throws(
      () => resolveId({ app: "a", what: "group", value: "/nope", table: [], ownerOf: noPaths }),
      (e: unknown) => e instanceof JetpackError && e.code === "JP_ERR_POD_APP_USER" && /\/nope/.test(e.message) && /group/.test(e.message),
    );
  });
});

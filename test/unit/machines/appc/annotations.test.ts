import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { annotationValue, AnnotationsSchema } from "../../../../machines/appc/index.js";
import { goDateError } from "../../../../machines/appc/go-date.js";
import { goHttpUrlError } from "../../../../machines/appc/go-url.js";

describe("the created annotation (Go's RFC3339 parsing)", () => {
  it("accepts dates with fractions, offsets and the leniencies of Go's parser", () => {
    for (const d of [
      "2014-10-27T19:32:27.67021798Z",
      "2016-01-02T03:04:05.123+01:00",
      "2016-02-03T23:04:05,5Z",
      "2016-02-03T3:04:05Z",
      "2016-02-29T00:00:00-00:00",
      "2016-02-03T23:04:05+25:00",
      "0000-01-01T00:00:00Z",
      "2016-02-03T23:04:05.1234567891234Z",
    ]) {
      assert.equal(goDateError(d), undefined, d);
    }
  });

  it("requires the T and an upper-case zone, as Go does", () => {
    assert.equal(goDateError("2016-01-02 03:04:05Z"), 'bad Date: parsing time "2016-01-02 03:04:05Z" as "2006-01-02T15:04:05Z07:00": cannot parse " 03:04:05Z" as "T"');
    assert.equal(goDateError("2016-01-02t03:04:05Z"), 'bad Date: parsing time "2016-01-02t03:04:05Z" as "2006-01-02T15:04:05Z07:00": cannot parse "t03:04:05Z" as "T"');
    assert.equal(goDateError("2016-02-03T23:04:05z"), 'bad Date: parsing time "2016-02-03T23:04:05z" as "2006-01-02T15:04:05Z07:00": cannot parse "z" as "Z07:00"');
    assert.equal(goDateError("2016-02-03T23:04:05+0100"), 'bad Date: parsing time "2016-02-03T23:04:05+0100" as "2006-01-02T15:04:05Z07:00": cannot parse "+0100" as "Z07:00"');
  });

  it("rejects fields of the wrong width and values out of range", () => {
    assert.equal(goDateError("16-02-03T23:04:05Z"), 'bad Date: parsing time "16-02-03T23:04:05Z" as "2006-01-02T15:04:05Z07:00": cannot parse "2-03T23:04:05Z" as "2006"');
    assert.equal(goDateError("2016-2-03T23:04:05Z"), 'bad Date: parsing time "2016-2-03T23:04:05Z" as "2006-01-02T15:04:05Z07:00": cannot parse "2-03T23:04:05Z" as "01"');
    assert.equal(goDateError("2016-13-02T03:04:05Z"), 'bad Date: parsing time "2016-13-02T03:04:05Z": month out of range');
    assert.equal(goDateError("2015-02-29T23:04:05Z"), 'bad Date: parsing time "2015-02-29T23:04:05Z": day out of range');
    assert.equal(goDateError("2016-02-03T23:04:60Z"), 'bad Date: parsing time "2016-02-03T23:04:60Z": second out of range');
    assert.equal(goDateError("2016-02-03T23:04:05Z "), 'bad Date: parsing time "2016-02-03T23:04:05Z ": extra text: " "');
  });
});

describe("the homepage and documentation annotations (Go's url.Parse)", () => {
  it("accepts http and https URLs in any case, opaque ones and unchecked queries", () => {
    for (const u of ["https://example.com", "HTTP://example.com:8080/a b", "http:x", "http://", "http://[::1]:80/", "http://a/?q=%zz", 'http://a"b/']) {
      assert.equal(goHttpUrlError(u), undefined, u);
    }
  });

  it("rejects other schemes and relative references", () => {
    assert.equal(goHttpUrlError("ftp://x"), "bad URL scheme, must be http/https");
    assert.equal(goHttpUrlError("//example.com"), "bad URL scheme, must be http/https");
    assert.equal(goHttpUrlError(""), "bad URL scheme, must be http/https");
  });

  it("rejects what url.Parse refuses, with its words", () => {
    assert.equal(goHttpUrlError("http://a b"), 'bad URL: parse "http://a b": invalid character " " in host name');
    assert.equal(goHttpUrlError("http://a/%zz"), 'bad URL: parse "http://a/%zz": invalid URL escape "%zz"');
    assert.equal(goHttpUrlError("http://a/#%zz"), 'bad URL: parse "http://a/#%zz": invalid URL escape "%zz"');
    assert.equal(goHttpUrlError("http://a:b"), 'bad URL: parse "http://a:b": invalid port ":b" after host');
    assert.equal(goHttpUrlError("http://user:pa ss@a/"), 'bad URL: parse "http://user:pa ss@a/": net/url: invalid userinfo');
    assert.equal(goHttpUrlError("1http://a"), 'bad URL: parse "1http://a": first path segment in URL cannot contain colon');
    assert.equal(goHttpUrlError("http://a/\x01"), 'bad URL: parse "http://a/\\x01": net/url: invalid control character in URL');
  });
});

describe("annotation lists", () => {
  it("checks only the well-known values and keeps the order", () => {
    const list = AnnotationsSchema.parse([{ name: "authors", value: "" }, { name: "example.com/x", value: "anything" }]);
    assert.deepEqual(list, [{ name: "authors", value: "" }, { name: "example.com/x", value: "anything" }]);
    assert.equal(annotationValue(list, "example.com/x"), "anything");
    assert.equal(annotationValue(list, "created"), undefined);
  });

  it("rejects a duplicate name at the second entry", () => {
    const result = AnnotationsSchema.safeParse([{ name: "a", value: "1" }, { name: "a", value: "2" }]);
    assert.equal(result.success, false);
    assert.deepEqual(result.error?.issues.map((i) => [i.path, i.message]), [[[1, "name"], 'duplicate annotations of name "a"']]);
  });
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseDiscoveryMeta, splitContent } from "../../../../../../workers/images/fetch/discovery/meta.js";

describe("parseDiscoveryMeta", () => {
  it("reads several image and key tags in document order", () => {
    const html = `<!DOCTYPE html><html><head>
      <meta name="ac-discovery" content="a.com https://a.com/{name}-{version}.{ext}">
      <meta name="ac-discovery-pubkeys" content="a.com https://a.com/pubkeys.gpg">
      <meta name="ac-discovery" content="a.com/app hdfs://mirror/{name}.{ext}">
      <meta name="ac-discovery-pubkeys" content="a.com/app https://a.com/app.gpg">
    </head><body></body></html>`;
    assert.deepEqual(parseDiscoveryMeta(html), {
      images: [
        { prefix: "a.com", template: "https://a.com/{name}-{version}.{ext}" },
        { prefix: "a.com/app", template: "hdfs://mirror/{name}.{ext}" },
      ],
      pubkeys: [
        { prefix: "a.com", url: "https://a.com/pubkeys.gpg" },
        { prefix: "a.com/app", url: "https://a.com/app.gpg" },
      ],
    });
  });

  it("reads self-closing tags and tags outside the head", () => {
    const html = `<html><head><meta name="ac-discovery" content="a.com https://x/{name}.{ext}" /></head>
      <body><p>hi</p><meta name="ac-discovery-pubkeys" content="a.com https://x/k"/></body></html>`;
    assert.deepEqual(parseDiscoveryMeta(html), {
      images: [{ prefix: "a.com", template: "https://x/{name}.{ext}" }],
      pubkeys: [{ prefix: "a.com", url: "https://x/k" }],
    });
  });

  it("ignores meta tags with other names, other ac- names and differently cased names", () => {
    const html = `<meta name="description" content="a.com https://x/{name}.{ext}">
      <meta name="ac-discovery-other" content="a.com https://x/{name}.{ext}">
      <meta name="AC-Discovery" content="a.com https://x/{name}.{ext}">
      <meta property="ac-discovery" content="a.com https://x/{name}.{ext}">
      <meta name="go-import" content="a.com git https://x">`;
    assert.deepEqual(parseDiscoveryMeta(html), { images: [], pubkeys: [] });
  });

  it("trims the content and splits it at the first space, trimming the URL again", () => {
    const html = `<meta name="ac-discovery" content="   a.com    https://x/{name}.{ext} extra   ">`;
    assert.deepEqual(parseDiscoveryMeta(html).images, [{ prefix: "a.com", template: "https://x/{name}.{ext} extra" }]);
  });

  it("ignores tags with no URL, an empty content or no content at all", () => {
    const html = `<meta name="ac-discovery" content="a.com">
      <meta name="ac-discovery" content="   ">
      <meta name="ac-discovery">
      <meta name="ac-discovery-pubkeys" content="a.com   ">`;
    assert.deepEqual(parseDiscoveryMeta(html), { images: [], pubkeys: [] });
  });

  it("decodes HTML entities in the content", () => {
    const html = `<meta name="ac-discovery" content="a.com https://x/get?n={name}&amp;e={ext}">`;
    assert.deepEqual(parseDiscoveryMeta(html).images, [{ prefix: "a.com", template: "https://x/get?n={name}&e={ext}" }]);
  });

  it("finds nothing in a page that is not HTML", () => {
    assert.deepEqual(parseDiscoveryMeta("{\"json\": true}"), { images: [], pubkeys: [] });
  });
});

describe("splitContent", () => {
  it("splits only at a space, so a tab keeps prefix and URL together and the tag is ignored", () => {
    assert.equal(splitContent("a.com\thttps://x"), undefined);
    assert.deepEqual(splitContent("\ta.com https://x\n"), { prefix: "a.com", url: "https://x" });
  });
});

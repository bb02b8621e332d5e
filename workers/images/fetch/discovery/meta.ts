// Reading appc discovery `<meta>` tags out of an HTML page. Pure.
//
// Follows the reference Go parser: every <meta> element counts wherever it sits (head or body);
// `content` is trimmed and split at the first space (only a space, not a tab) into a prefix and a URL,
// the URL is trimmed again, and a tag with an empty prefix or URL is ignored. Names are compared
// exactly (`AC-Discovery` is not ours), as Go does.
import { load } from "cheerio";

export interface DiscoveryMeta {
  /** `ac-discovery` tags: image URL templates. */
  images: Array<{ prefix: string; template: string }>;
  /** `ac-discovery-pubkeys` tags: public key URLs. */
  pubkeys: Array<{ prefix: string; url: string }>;
}

/** Pure. Splits a `content` attribute into prefix and URL, or undefined when either is empty. */
export function splitContent(content: string): { prefix: string; url: string } | undefined {
  const trimmed = content.trim();
  const space = trimmed.indexOf(" ");
  if (space < 0) return undefined;
  const prefix = trimmed.slice(0, space);
  const url = trimmed.slice(space + 1).trim();
  if (prefix === "" || url === "") return undefined;
  return { prefix, url };
}

/** Pure. The discovery tags of a page, in document order. */
export function parseDiscoveryMeta(html: string): DiscoveryMeta {
  const $ = load(html);
  const out: DiscoveryMeta = { images: [], pubkeys: [] };
  $("meta").each((_, el) => {
    const name = $(el).attr("name");
    if (name !== "ac-discovery" && name !== "ac-discovery-pubkeys") return;
    const parts = splitContent($(el).attr("content") ?? "");
    if (parts === undefined) return;
    if (name === "ac-discovery") out.images.push({ prefix: parts.prefix, template: parts.url });
    else out.pubkeys.push({ prefix: parts.prefix, url: parts.url });
  });
  return out;
}

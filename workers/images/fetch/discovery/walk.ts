// The discovery URLs for an image name, most specific first. Pure.
//
// Go builds each URL as `https://` + prefix with the query replaced by `ac-discovery=1`, and appends a
// port to the host part when one is given. A port cannot be written in the name itself (`:` is not
// allowed in an AC Identifier), so it travels on its own: tests and registries on other ports use it.

/** Pure. The name and each parent path: `a.com/p/s`, `a.com/p`, `a.com`. */
export function discoveryLevels(name: string): string[] {
  const parts = name.split("/");
  const levels: string[] = [];
  for (let end = parts.length; end > 0; end--) levels.push(parts.slice(0, end).join("/"));
  return levels;
}

/** Pure. `https://<level>?ac-discovery=1` for each level, with `:port` after the host when given. */
export function discoveryUrls(name: string, port?: number): string[] {
  return discoveryLevels(name).map((level) => {
    const slash = level.indexOf("/");
    const host = slash < 0 ? level : level.slice(0, slash);
    const path = slash < 0 ? "" : level.slice(slash);
    return `https://${host}${port === undefined ? "" : `:${port}`}${path}?ac-discovery=1`;
  });
}

/** Pure. The same URL over plain http (for `--insecure-options=http`). */
export function overHttp(httpsUrl: string): string {
  return httpsUrl.replace(/^https:/, "http:");
}

// One link-value of RFC 8288: <uri> followed by ;-separated parameters.
const LINK = /<([^>]*)>((?:\s*;\s*[^;,]+(?:=(?:"[^"]*"|[^;,]*))?)*)/g;
const REL = /;\s*rel\s*=\s*(?:"([^"]*)"|([^;,\s]*))/i;

/**
 * The target of the `rel="next"` link of a `Link` header, resolved against
 * the request URL; undefined when there is none (or it is not a valid URL).
 */
export function nextLink(header: string | null, base: string): URL | undefined {
  if (header === null) return undefined;
  for (const m of header.matchAll(LINK)) {
    const rel = REL.exec(m[2] ?? '');
    const rels = (rel?.[1] ?? rel?.[2] ?? '').toLowerCase().split(/\s+/);
    if (!rels.includes('next')) continue;
    try {
      return new URL(m[1] ?? '', base);
    } catch {
      return undefined;
    }
  }
  return undefined;
}

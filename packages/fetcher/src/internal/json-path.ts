/**
 * Dotted paths into parsed JSON (`data.items`, `meta.next_cursor`,
 * `links.0.href`): compiled once at init, walked once per response.
 */
export type JsonPath = readonly string[];

/** Splits a dotted path; `''` is the document itself. Returns undefined when a segment is empty (`a..b`). */
export function compileJsonPath(path: string): JsonPath | undefined {
  if (path === '') return [];
  const keys = path.split('.');
  return keys.every((k) => k.length > 0) ? keys : undefined;
}

/**
 * The value at `path`, or undefined when any step is missing. Only own
 * properties are followed, so `constructor` or `__proto__` never reach a prototype.
 */
export function readJsonPath(doc: unknown, path: JsonPath): unknown {
  let cur = doc;
  for (let i = 0; i < path.length; i++) {
    if (typeof cur !== 'object' || cur === null) return undefined;
    const key = path[i]!;
    if (!Object.hasOwn(cur, key)) return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

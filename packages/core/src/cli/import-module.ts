const TS_EXTENSIONS = /\.[mc]?tsx?$/;

let tsLoader: Promise<void> | undefined;

/**
 * Makes `import()` of TypeScript files work, once per process. tsx is
 * registered globally, not through `tsImport()`: a namespaced import would
 * load a second copy of @logpath/core for the config, and its classes would
 * fail every `instanceof LogSource` check of the runtime. Loaded on first
 * use, so JS and JSON configs never load tsx (and esbuild).
 */
function ensureTsLoader(): Promise<void> {
  // Running from .ts sources means a TypeScript loader is already active (tests, `node --import tsx`).
  tsLoader ??= import.meta.url.endsWith('.ts')
    ? Promise.resolve()
    : import('tsx/esm/api').then(({ register }) => void register());
  return tsLoader;
}

/**
 * Imports the module at `url` (a `file:` URL), TypeScript included. With
 * `fresh`, the module itself is evaluated again even if it was imported
 * before (a reload); the modules it imports stay cached, as AxoSyslog keeps
 * imported Python modules across reloads.
 * @throws whatever the import throws: not found, syntax error, error at evaluation.
 */
export async function importModule(url: string, fresh?: number): Promise<unknown> {
  const u = new URL(url);
  if (TS_EXTENSIONS.test(u.pathname)) await ensureTsLoader();
  if (fresh !== undefined) u.searchParams.set('logpath-load', String(fresh));
  return import(u.href);
}

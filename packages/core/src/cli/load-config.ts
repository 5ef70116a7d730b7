import { readFile, stat } from 'node:fs/promises';
import { extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { PipelineConfig } from '../config.js';
import { ConfigError } from '../errors.js';
import { LogDestination } from '../log-destination.js';
import { LogSource } from '../log-source.js';
import { planPipeline } from '../internal/validate-config.js';
import { show } from '../option-checks.js';
import { importModule } from './import-module.js';
import { checkComponentClass, oneLine, resolveClass, type ComponentKind } from './resolve-class.js';

/** File extensions {@link loadConfig} accepts. */
export const CONFIG_EXTENSIONS: readonly string[] = Object.freeze([
  '.ts',
  '.mts',
  '.js',
  '.mjs',
  '.json',
]);

/** Stand-ins for classes that failed to resolve, so validation goes on without repeating the problem. */
class UnresolvedSource extends LogSource {
  override run(): void {}
}
class UnresolvedDestination extends LogDestination {
  override send(): 0 {
    return this.DROP;
  }
}

let loads = 0;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Loads the config file at `file` (relative to the working directory) and
 * validates it, reporting every problem at once.
 *
 * - `.ts`/`.mts` (through tsx) and `.js`/`.mjs`: the default export is the
 *   config, or a function (possibly async) returning it. The file is evaluated
 *   anew on each call, so a reload sees its changes; modules it imports stay cached.
 * - `.json`: a config whose `class` values are strings.
 *
 * In any format a `class` may be a string `"module#Export"`: relative modules
 * are resolved from the config's folder, bare ones from the node_modules above
 * it; `"#Name"` is a class exported by @logpath/core (`NullDestination`…);
 * without `#`, the module's default export. JSON cannot express `filter` or
 * `rewrite` (they are functions).
 *
 * @returns the config with every class specifier replaced by its class.
 * @throws ConfigError whose `issues` list every problem: the file (missing,
 *   unreadable, syntax error, no default export), each class specifier that
 *   failed (naming the component and the specifier), and every validation error.
 */
export async function loadConfig(file: string): Promise<PipelineConfig> {
  const path = resolve(file);
  const raw = await readConfigFile(file, path);
  const issues: string[] = [];
  const config = await resolveClasses(raw, path, extname(path) === '.json', issues);
  try {
    planPipeline(config as unknown as PipelineConfig);
  } catch (err) {
    // Alone, the validator's error keeps its code (ERR_PERSIST_NAME_COLLISION…).
    if (!(err instanceof ConfigError) || issues.length === 0) throw err;
    issues.push(...err.issues);
  }
  if (issues.length > 0) throw new ConfigError(issues);
  return config as unknown as PipelineConfig;
}

/** Reads the file and returns what it describes, before classes are resolved. */
async function readConfigFile(file: string, path: string): Promise<unknown> {
  const ext = extname(path);
  if (!CONFIG_EXTENSIONS.includes(ext)) {
    throw new ConfigError(
      `config file ${show(file)} must end in ${CONFIG_EXTENSIONS.join(', ')}, got ${show(ext || '(no extension)')}`,
    );
  }
  let isFile: boolean;
  try {
    isFile = (await stat(path)).isFile();
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
    throw new ConfigError(
      missing
        ? `config file ${show(file)} not found (looked at ${path})`
        : `config file ${show(file)} cannot be read: ${oneLine(err)}`,
      { cause: err },
    );
  }
  if (!isFile) throw new ConfigError(`config file ${show(file)} is not a file (${path})`);
  if (ext === '.json') {
    try {
      return JSON.parse(await readFile(path, 'utf8')) as unknown;
    } catch (err) {
      throw new ConfigError(`config file ${show(file)} is not valid JSON: ${oneLine(err)}`, {
        cause: err,
      });
    }
  }
  let mod: Record<string, unknown>;
  try {
    mod = (await importModule(pathToFileURL(path).href, ++loads)) as Record<string, unknown>;
  } catch (err) {
    throw new ConfigError(`config file ${show(file)} failed to load: ${oneLine(err)}`, {
      cause: err,
    });
  }
  let value: unknown = mod.default;
  // A .ts config in a folder without "type": "module" is compiled to CommonJS,
  // and its `export default` arrives as module.exports.default.
  if (isPlainObject(value) && value.__esModule === true && 'default' in value)
    value = value.default;
  if (value === undefined) {
    throw new ConfigError(
      `config file ${show(file)} has no default export; write \`export default defineConfig({ ... })\``,
    );
  }
  if (typeof value !== 'function' || isClass(value)) return value;
  try {
    return (await (value as () => unknown)()) as unknown;
  } catch (err) {
    throw new ConfigError(
      `the function exported by config file ${show(file)} threw: ${oneLine(err)}`,
      {
        cause: err,
      },
    );
  }
}

function isClass(fn: unknown): boolean {
  return typeof fn === 'function' && /^class\b/.test(Function.prototype.toString.call(fn));
}

/**
 * Returns a copy of `raw` with string classes replaced by the classes they
 * name; each failure becomes an issue and a stand-in class. Also checks
 * classes given directly, to explain a second copy of @logpath/core.
 */
async function resolveClasses(
  raw: unknown,
  path: string,
  json: boolean,
  issues: string[],
): Promise<unknown> {
  if (!isPlainObject(raw)) return raw; // planPipeline says what is wrong
  const out: Record<string, unknown> = { ...raw };
  for (const kind of ['source', 'destination'] as const satisfies readonly ComponentKind[]) {
    const group = raw[`${kind}s`];
    if (!isPlainObject(group)) continue;
    const copy: Record<string, unknown> = {};
    // One at a time, so that problems are listed in the config's order.
    for (const [name, component] of Object.entries(group)) {
      copy[name] = await resolveComponent(kind, name, component, path, issues);
    }
    out[`${kind}s`] = copy;
  }
  if (json && Array.isArray(raw.logPaths)) {
    out.logPaths = raw.logPaths.map((p: unknown, i) => {
      if (!isPlainObject(p)) return p;
      const copy = { ...p };
      for (const fn of ['filter', 'rewrite'] as const) {
        if (!(fn in copy)) continue;
        issues.push(
          `logPaths[${i}].${fn}: a JSON config cannot hold a ${fn} (it is a function); write the config in .ts or .js instead`,
        );
        delete copy[fn];
      }
      return copy;
    });
  }
  return out;
}

async function resolveComponent(
  kind: ComponentKind,
  name: string,
  component: unknown,
  path: string,
  issues: string[],
): Promise<unknown> {
  if (!isPlainObject(component)) return component;
  const where = `${kind}s.${name}.class`;
  const stub = kind === 'source' ? UnresolvedSource : UnresolvedDestination;
  const cls = component.class;
  if (typeof cls === 'string') {
    const found = await resolveClass(cls, kind, path);
    if (found.error === undefined) return { ...component, class: found.cls };
    issues.push(`${where} ${found.error}`);
    return { ...component, class: stub };
  }
  if (typeof cls === 'function') {
    const problem = checkComponentClass(cls, kind, `${where} (${cls.name || 'anonymous class'})`);
    if (problem !== undefined) {
      issues.push(problem);
      return { ...component, class: stub };
    }
  }
  return component;
}

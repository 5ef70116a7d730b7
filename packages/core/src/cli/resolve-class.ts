import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { LogDestination } from '../log-destination.js';
import { LogSource } from '../log-source.js';
import { show } from '../option-checks.js';
import { importModule } from './import-module.js';

/** Which base class a component's class must extend. */
export type ComponentKind = 'source' | 'destination';

/** The outcome of resolving one class specifier: the class, or one sentence saying why not. */
export type ResolvedClass =
  { readonly cls: unknown; readonly error?: undefined } | { readonly error: string };

const BASES: Readonly<Record<ComponentKind, { base: abstract new () => unknown; name: string }>> =
  Object.freeze({
    source: { base: LogSource, name: 'LogSource' },
    destination: { base: LogDestination, name: 'LogDestination' },
  });

/**
 * Splits `"module#Export"` at the last `#`. `"#Name"` names a built-in class of
 * @logpath/core (module `""`); a specifier without `#` means the module's
 * default export.
 */
export function parseClassSpecifier(spec: string): { module: string; exportName: string } {
  const hash = spec.lastIndexOf('#');
  if (hash === -1) return { module: spec, exportName: 'default' };
  return { module: spec.slice(0, hash), exportName: spec.slice(hash + 1) };
}

/**
 * Turns a module specifier written in the config at `configPath` into a URL.
 * Relative specifiers are relative to the config's folder; bare ones are
 * looked up in the node_modules folders above the config, so a plugin
 * installed next to the config is found even when the CLI is installed elsewhere.
 * @throws Error from the resolver when the module cannot be found.
 */
export function resolveModuleUrl(specifier: string, configPath: string): string {
  const configUrl = pathToFileURL(configPath);
  if (/^\.{1,2}\//.test(specifier) || specifier.startsWith('/'))
    return new URL(specifier, configUrl).href;
  if (/^(file|node|data):/.test(specifier)) return specifier;
  // require.resolve honours --conditions and "exports", like import() would, but
  // takes the config's location as the starting point (import.meta.resolve cannot on Node 20).
  return pathToFileURL(createRequire(configUrl).resolve(specifier)).href;
}

/** True when `cls` is a class extending `base`, directly or not. */
function extendsBase(cls: unknown, base: abstract new () => unknown): boolean {
  return typeof cls === 'function' && (cls as { prototype?: unknown }).prototype instanceof base;
}

/** Whether `cls` extends some class called `baseName` that is not ours: a second copy of @logpath/core. */
function extendsForeignCopy(cls: unknown, baseName: string): boolean {
  let proto: unknown = typeof cls === 'function' ? Object.getPrototypeOf(cls) : undefined;
  while (typeof proto === 'function') {
    if (proto.name === baseName) return true;
    proto = Object.getPrototypeOf(proto);
  }
  return false;
}

/**
 * Checks that `cls` can be used as a `kind`; returns the problem, or
 * undefined. `what` names the class in the sentence.
 */
export function checkComponentClass(
  cls: unknown,
  kind: ComponentKind,
  what: string,
): string | undefined {
  const { base, name } = BASES[kind];
  if (extendsBase(cls, base)) return undefined;
  if (typeof cls !== 'function') return `${what} is not a class, got ${show(cls)}`;
  if (extendsForeignCopy(cls, name)) {
    return (
      `${what} extends ${name} from a different copy of @logpath/core than the one running the CLI; ` +
      'make sure the config and its plugins resolve "@logpath/core" to the same installation (and load as ES modules)'
    );
  }
  return `${what} is not a subclass of ${name}`;
}

let builtins: Promise<Record<string, unknown>> | undefined;

/** The classes @logpath/core exports, loaded on first use (the CLI does not need them otherwise). */
function builtinClasses(): Promise<Record<string, unknown>> {
  builtins ??= import('../index.js').then((m) => m as unknown as Record<string, unknown>);
  return builtins;
}

/**
 * Loads the class named by `spec` (see {@link parseClassSpecifier}) for a
 * component of `kind` in the config at `configPath`. Never throws: a missing
 * file, a syntax error, a missing export or a value that is not a suitable
 * class is returned as `{ error }`, a sentence naming the specifier.
 */
export async function resolveClass(
  spec: string,
  kind: ComponentKind,
  configPath: string,
): Promise<ResolvedClass> {
  const { module, exportName } = parseClassSpecifier(spec);
  if (exportName === '') return { error: `${show(spec)} names no export after "#"` };
  let namespace: Record<string, unknown>;
  let from: string;
  if (module === '') {
    namespace = await builtinClasses();
    from = '@logpath/core';
    if (!(exportName in namespace)) {
      const names = Object.keys(namespace)
        .filter((k) => extendsBase(namespace[k], BASES[kind].base))
        .sort();
      return {
        error: `${show(spec)}: @logpath/core has no built-in ${kind} class "${exportName}" (built-in ${kind}s: ${names.join(', ') || 'none'})`,
      };
    }
  } else {
    let url: string;
    try {
      url = resolveModuleUrl(module, configPath);
    } catch (err) {
      const why =
        (err as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND'
          ? `not installed in ${dirname(configPath)} or any folder above it`
          : firstLine(err);
      return { error: `${show(spec)}: cannot find module "${module}": ${why}` };
    }
    if (url.startsWith('file:') && !existsSync(fileURLToPath(url))) {
      return {
        error: `${show(spec)}: cannot find module "${module}": ${fileURLToPath(url)} does not exist`,
      };
    }
    try {
      namespace = (await importModule(url)) as Record<string, unknown>;
    } catch (err) {
      return { error: `${show(spec)}: cannot load module "${module}": ${oneLine(err)}` };
    }
    from = `"${module}"`;
    if (!(exportName in namespace)) {
      const names = Object.keys(namespace).sort();
      return {
        error: `${show(spec)}: module "${module}" has no export "${exportName}" (exports: ${names.join(', ') || 'none'})`,
      };
    }
  }
  const cls = namespace[exportName];
  const label =
    exportName === 'default' ? `the default export of ${from}` : `"${exportName}" from ${from}`;
  const problem = checkComponentClass(cls, kind, label);
  return problem === undefined ? { cls } : { error: `${show(spec)}: ${problem}` };
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Node's resolver appends the require stack on later lines. */
function firstLine(err: unknown): string {
  return message(err).split('\n', 1)[0]!;
}

/** Keeps a multi-line message (esbuild's syntax errors) on the one line a problem gets. */
export function oneLine(err: unknown): string {
  return message(err)
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .join(' ');
}

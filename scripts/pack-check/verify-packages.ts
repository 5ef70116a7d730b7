/**
 * Static checks of the installed tarballs (run by scripts/pack-check.sh with the
 * empty project's directory as argument): every bare import of every shipped
 * file is a declared dependency (or a Node builtin), no file imports another
 * package's unexported path, `main`/`types`/`exports` point at shipped files,
 * and the exports map refuses deep imports. Prints one line per problem and
 * exits 1 if there is any.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import { join, relative } from 'node:path';

interface Manifest {
  name: string;
  main?: string;
  types?: string;
  files?: string[];
  exports?: Record<string, Record<string, string> | string>;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  bin?: Record<string, string>;
}

const app = process.argv[2];
if (app === undefined) throw new Error('usage: verify-packages.ts <app directory>');
const scope = join(app, 'node_modules', '@logpath');
const requireFromApp = createRequire(join(app, 'package.json'));
const builtins = new Set(builtinModules);
const problems: string[] = [];

// `from 'x'`, `import 'x'`, `import('x')`, `require('x')`, and `import("x")` types in .d.ts files.
const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|\brequire\s*\(\s*)['"]([^'"]+)['"]/g;

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (name === 'node_modules') return [];
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

/** `@scope/name/sub` → [`@scope/name`, `./sub`]; `name/sub` → [`name`, `./sub`]. */
function splitSpecifier(spec: string): [string, string] {
  const parts = spec.split('/');
  const n = spec.startsWith('@') ? 2 : 1;
  const rest = parts.slice(n).join('/');
  return [parts.slice(0, n).join('/'), rest === '' ? '.' : `./${rest}`];
}

function readManifest(dir: string): Manifest {
  return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Manifest;
}

const installed = new Map<string, Manifest>();
for (const name of readdirSync(scope))
  installed.set(`@logpath/${name}`, readManifest(join(scope, name)));

for (const [name, pkg] of installed) {
  const dir = join(scope, name.slice('@logpath/'.length));
  const deps = { ...pkg.dependencies, ...pkg.peerDependencies };
  const shipped = walk(dir);
  const used = new Set<string>();

  for (const file of shipped.filter((f) => /\.(js|d\.ts)$/.test(f))) {
    // Comments hold examples (`import … from '@logpath/adapter-ws'`) that are no imports.
    const text = readFileSync(file, 'utf8')
      .replace(/\/\*[\s\S]*?\*\//g, '')
      .replace(/^\s*\/\/.*$/gm, '');
    const where = `${name}/${relative(dir, file)}`;
    for (const m of text.matchAll(SPECIFIER)) {
      const spec = m[1]!;
      if (spec.startsWith('.') || spec.startsWith('node:') || builtins.has(spec.split('/')[0]!)) {
        continue;
      }
      const [dep, subpath] = splitSpecifier(spec);
      if (dep === name) continue;
      used.add(dep);
      const typesOnly = file.endsWith('.d.ts');
      const declared =
        dep in deps || (typesOnly && `@types/${dep.replace(/^@(.*)\//, '$1__')}` in deps);
      if (!declared) {
        problems.push(`${where} imports "${spec}", but ${dep} is not in ${name}'s dependencies`);
      }
      const target = installed.get(dep);
      if (target !== undefined && !(subpath in (target.exports ?? {}))) {
        problems.push(`${where} imports "${spec}", a path ${dep} does not export`);
      }
    }
  }
  for (const dep of Object.keys(pkg.dependencies ?? {})) {
    const typesFor = dep.startsWith('@types/') ? dep.slice('@types/'.length) : undefined;
    if (!used.has(dep) && !(typesFor !== undefined && used.has(typesFor))) {
      if (!(name === '@logpath/core' && dep === 'tsx')) {
        problems.push(`${name} declares the dependency ${dep}, but no shipped file imports it`);
      }
    }
  }

  const targets: [string, string][] = [];
  if (pkg.main) targets.push(['main', pkg.main]);
  if (pkg.types) targets.push(['types', pkg.types]);
  for (const [bin, path] of Object.entries(pkg.bin ?? {})) targets.push([`bin.${bin}`, path]);
  for (const [sub, conditions] of Object.entries(pkg.exports ?? {})) {
    if (typeof conditions === 'string') targets.push([`exports["${sub}"]`, conditions]);
    else {
      for (const [cond, path] of Object.entries(conditions)) {
        // The workspace-only condition points at src/, which is not published on purpose.
        if (cond !== '@logpath/source') targets.push([`exports["${sub}"].${cond}`, path]);
      }
      if (!('types' in conditions)) problems.push(`${name}: exports["${sub}"] has no "types"`);
    }
  }
  for (const [field, path] of targets) {
    if (!existsSync(join(dir, path)))
      problems.push(`${name}: ${field} → ${path} is not in the tarball`);
  }
  if (shipped.some((f) => /\.test\.|[/\\]src[/\\]/.test(relative(dir, f)))) {
    problems.push(`${name}: the tarball ships tests or src/`);
  }

  // Deep imports must be refused by the exports map, so users cannot depend on internals.
  for (const deep of [`${name}/dist/index.js`, `${name}/package.json`]) {
    try {
      requireFromApp.resolve(deep);
      problems.push(
        `${name}: the deep import "${deep}" resolves; the exports map should refuse it`,
      );
    } catch (err) {
      if ((err as { code?: string }).code !== 'ERR_PACKAGE_PATH_NOT_EXPORTED') throw err;
    }
  }
  // The public entry points resolve from a consumer's project.
  for (const sub of Object.keys(pkg.exports ?? {}).filter((k) => !k.includes('*'))) {
    const entry = sub === '.' ? name : `${name}/${sub.slice(2)}`;
    try {
      requireFromApp.resolve(entry);
    } catch (err) {
      problems.push(
        `${name}: the entry point "${entry}" does not resolve (${(err as Error).message})`,
      );
    }
  }
}

for (const p of problems) console.error(`pack-check: ${p}`);
if (problems.length > 0) process.exit(1);
console.log(`pack-check: manifests ok (${installed.size} packages)`);

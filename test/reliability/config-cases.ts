/**
 * Near-valid pipeline configs for the hostile-config tests: a base config
 * that starts, a catalogue of every option with the rule it must follow
 * (written from the documentation, not from the validator), random values
 * of every kind, and `build()`, which applies up to a few changes and says
 * which issues the runtime must report.
 */
import { join } from 'node:path';
import fc from 'fast-check';
import {
  compileTemplate,
  FileDestination,
  LogDestination,
  LogMessage,
  LogSource,
  NullDestination,
} from '@logpath/core';
import { CaptureDestination } from '@logpath/core/testing';

/** Posts one message, then waits to be stopped. */
export class IdleSource extends LogSource<Record<string, unknown>> {
  override async run(): Promise<void> {
    this.postMessage(new LogMessage('hello'));
    if (this.signal.aborted) return;
    await new Promise<void>((resolve) =>
      this.signal.addEventListener('abort', () => resolve(), { once: true }),
    );
  }
}

export type Obj = Record<string, unknown>;
type Path = (string | number)[];

/** Where valid values that name files are pointed: a temp dir, a fresh directory each time. */
export interface Sandbox {
  readonly dir: string;
  nextDir(): string;
}

/** A config that starts: every option set, files under the sandbox, quiet, metrics on port 0. */
export function baseConfig(box: Sandbox, withDiskBuffer: boolean): Obj {
  // prettier-ignore
  const out: Obj = {
    class: FileDestination,
    options: { path: join(box.dir, 'out.log'), template: '${MESSAGE}', mkdir: true, fsync: false, mode: 0o640, maxOpenFiles: 4 },
    retries: 3, timeReopen: 1000, batchLines: 10, batchBytes: 65_536, batchTimeout: 0, logFifoSize: 100,
    persistName: 'out', fallback: 'spare',
  };
  if (withDiskBuffer) {
    // prettier-ignore
    out.diskBuffer = { maxBytes: 1 << 20, dir: box.nextDir(), reliable: false, segmentBytes: 65_536, memoryMessages: 10 };
  }
  return {
    sources: { in: { class: IdleSource, options: {}, logIwSize: 100, timeReopen: 1000 } },
    destinations: { out, spare: { class: NullDestination } },
    // prettier-ignore
    logPaths: [{ sources: ['in'], destinations: ['out'], flowControl: true, filter: () => true, rewrite: () => {} }],
    stateDir: box.dir,
    stopTimeout: 2000,
    log: { level: 'error', stderr: false },
    metrics: { port: 0, host: '127.0.0.1', path: '/metrics' },
  };
}

// ------------------------------------------------------------------- the rules

type Ok = (v: unknown) => boolean;
export const isObj = (v: unknown): v is Obj =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): v is string => typeof v === 'string' && v !== '';
const ms: Ok = (v) => typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= 2 ** 31 - 1;
const bool: Ok = (v) => typeof v === 'boolean';
const fn: Ok = (v) => typeof v === 'function';
const onlyKeys = (o: Obj, keys: string[]): boolean => Object.keys(o).every((k) => keys.includes(k));
const wellFormed = (s: string): boolean =>
  !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);

function int(min: number, max = Number.MAX_SAFE_INTEGER): Ok {
  return (v) => typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
}
function oneOf(list: unknown[]): Ok {
  return (v) => list.includes(v);
}
function optional(ok: Ok): Ok {
  return (v) => v === undefined || ok(v);
}
/** A non-empty array of known component names. */
function names(known: string[]): Ok {
  return (v) =>
    Array.isArray(v) &&
    v.length > 0 &&
    [...(v as unknown[])].every((n) => known.includes(n as string));
}
function subclassOf(base: abstract new () => unknown): Ok {
  return (v) => typeof v === 'function' && (v as { prototype?: unknown }).prototype instanceof base;
}
function template(t: unknown): boolean {
  if (!str(t)) return false;
  try {
    compileTemplate(t);
    return true;
  } catch {
    return false;
  }
}
const metricsPath: Ok = (v) => typeof v === 'string' && /^\/[^?#\s]*$/.test(v) && v !== '/health';
const LOG_KEYS = ['level', 'stderr'];
const METRICS_KEYS = ['port', 'host', 'path'];
const PATH_KEYS = ['sources', 'destinations', 'filter', 'rewrite', 'flowControl'];
const DISK_KEYS = ['dir', 'maxBytes', 'reliable', 'segmentBytes', 'memoryMessages'];
const FILE_KEYS = ['path', 'template', 'mkdir', 'fsync', 'mode', 'maxOpenFiles'];
const LEVELS = ['error', 'warn', 'info', 'debug'];

const logPath: Ok = (p) =>
  isObj(p) &&
  onlyKeys(p, PATH_KEYS) &&
  names(['in'])(p.sources) &&
  names(['out', 'spare'])(p.destinations) &&
  optional(fn)(p.filter) &&
  optional(fn)(p.rewrite) &&
  optional(bool)(p.flowControl);
const fileOptions: Ok = (o) =>
  isObj(o) &&
  onlyKeys(o, FILE_KEYS) &&
  str(o.path) &&
  (!o.path.includes('$') || template(o.path)) &&
  optional(template)(o.template) &&
  optional(bool)(o.mkdir) &&
  optional(bool)(o.fsync) &&
  optional(int(0, 0o7777))(o.mode) &&
  optional(int(1))(o.maxOpenFiles);
const diskBuffer: Ok = (v) =>
  isObj(v) &&
  onlyKeys(v, DISK_KEYS) &&
  int(1024)(v.maxBytes) &&
  optional(str)(v.dir) &&
  optional(bool)(v.reliable) &&
  optional(int(1024, 2 ** 30))(v.segmentBytes) &&
  optional(int(1))(v.memoryMessages);
const metrics: Ok = (v) =>
  isObj(v) &&
  onlyKeys(v, METRICS_KEYS) &&
  int(0, 65_535)(v.port) &&
  optional(str)(v.host) &&
  optional(metricsPath)(v.path);

/**
 * What the runtime must report for a value: undefined when it is valid, else
 * the start of the issue that names it. `component:` marks issues of
 * FileDestination.init (the cause of an ERR_INIT_FAILED); `xref:` marks issues
 * found by comparing components (an unknown fallback, equal persist names),
 * expected only while both components are themselves valid.
 */
type Verdict = string | undefined;

interface OptionRule {
  readonly path: Path;
  readonly verdict: (v: unknown) => Verdict;
  /** Makes a valid value harmless: files in the sandbox, port 0, no stderr. */
  readonly defuse?: (v: unknown, box: Sandbox) => unknown;
}

function labelOf(path: Path): string {
  const text = path.map((k) => (typeof k === 'number' ? `[${k}]` : `.${k}`)).join('');
  const label = text.slice(1).replace('.[', '[');
  return label.startsWith('destinations.out.options.')
    ? `component:${label.slice('destinations.out.'.length)}`
    : label;
}

const rule = (path: Path, ok: Ok, defuse?: OptionRule['defuse']): OptionRule => ({
  path,
  verdict: (v) => (ok(v) ? undefined : labelOf(path)),
  defuse,
});

/** `others`: the persist names of the other components. */
const persistName =
  (path: Path, others: string[]): OptionRule['verdict'] =>
  (v) => {
    if (v === undefined) return undefined;
    if (!str(v) || !wellFormed(v)) return labelOf(path);
    return others.includes(v) ? 'xref:persist name' : undefined;
  };

const plainCopy = (v: unknown): Obj | undefined => {
  if (!isObj(v)) return undefined;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null ? { ...v } : undefined;
};
const OUT = ['destinations', 'out'];
const DISK = [...OUT, 'diskBuffer'];
const FILE = [...OUT, 'options'];
const PATH0 = ['logPaths', 0];

// prettier-ignore
const OPTIONS: OptionRule[] = [
  rule(['stopTimeout'], optional(ms)),
  rule(['stateDir'], optional(str)),
  rule(['log'], optional((v) => isObj(v) && onlyKeys(v, LOG_KEYS) && optional(oneOf(LEVELS))(v.level) && optional(bool)(v.stderr)),
    // A Date or a Map passes as an empty log object: keep its keys, quiet stderr.
    (v) => (v === undefined ? { stderr: false } : isObj(v) ? Object.assign(Object.create(null) as Obj, v, { stderr: false }) : v)),
  rule(['log', 'level'], optional(oneOf(LEVELS))),
  rule(['log', 'stderr'], optional(bool), (v) => (v === true || v === undefined ? false : v)),
  rule(['metrics'], optional(metrics), (v) => {
    const c = plainCopy(v);
    return c === undefined || !int(0, 65_535)(c.port) ? v : { ...c, port: 0, host: str(c.host) ? '127.0.0.1' : c.host };
  }),
  rule(['metrics', 'port'], int(0, 65_535), (v) => (int(0, 65_535)(v) ? 0 : v)),
  rule(['metrics', 'host'], optional(str), (v) => (str(v) ? '127.0.0.1' : v)),
  rule(['metrics', 'path'], optional(metricsPath)),
  // An empty group leaves the log path naming nothing known; a non-empty one has no valid member.
  { path: ['sources'], verdict: (v) => (!isObj(v) ? 'sources' : Object.keys(v).length === 0 ? 'xref:logPaths[0].sources' : 'sources.') },
  { path: ['destinations'], verdict: (v) => (!isObj(v) ? 'destinations' : Object.keys(v).length === 0 ? 'xref:logPaths[0].destinations' : 'destinations.') },
  { path: ['logPaths'], verdict: (v) => (!Array.isArray(v) || v.length === 0 ? 'logPaths' : [...(v as unknown[])].every(logPath) ? undefined : 'logPaths[') },
  { path: ['sources', 'in'], verdict: () => 'sources.in' }, // random values never carry a valid class
  rule(['sources', 'in', 'class'], subclassOf(LogSource)),
  rule(['sources', 'in', 'options'], optional(isObj)),
  rule(['sources', 'in', 'logIwSize'], optional(int(1))),
  rule(['sources', 'in', 'timeReopen'], optional(ms)),
  { path: ['sources', 'in', 'persistName'], verdict: persistName(['sources', 'in', 'persistName'], ['out', 'destination.spare']) },
  { path: OUT, verdict: () => 'destinations.out' },
  rule([...OUT, 'class'], subclassOf(LogDestination)),
  { path: FILE, verdict: (v) => (v !== undefined && !isObj(v) ? 'destinations.out.options' : fileOptions(v ?? {}) ? undefined : 'component:options'),
    defuse: (v, box) => {
      const c = plainCopy(v);
      return c === undefined || !str(c.path) ? v : { ...c, path: join(box.dir, 'out.log') };
    } },
  rule([...FILE, 'path'], str, (v, box) => (str(v) ? join(box.dir, 'out.log') : v)),
  rule([...FILE, 'template'], optional(template)),
  rule([...FILE, 'mkdir'], optional(bool)),
  rule([...FILE, 'fsync'], optional(bool)),
  rule([...FILE, 'mode'], optional(int(0, 0o7777))),
  rule([...FILE, 'maxOpenFiles'], optional(int(1))),
  rule([...OUT, 'retries'], optional(int(1))),
  rule([...OUT, 'timeReopen'], optional(ms)),
  rule([...OUT, 'batchLines'], optional(int(1))),
  rule([...OUT, 'batchBytes'], optional(int(1))),
  rule([...OUT, 'batchTimeout'], optional(ms)),
  rule([...OUT, 'logFifoSize'], optional(int(1))),
  { path: [...OUT, 'persistName'], verdict: persistName([...OUT, 'persistName'], ['source.in', 'destination.spare']) },
  { path: [...OUT, 'fallback'], verdict: (v) => (optional(oneOf(['spare']))(v) ? undefined : str(v) ? 'xref:destinations.out.fallback' : 'destinations.out.fallback') },
  rule(DISK, optional(diskBuffer), (v, box) => {
    const c = plainCopy(v);
    return c === undefined || !optional(str)(c.dir) ? v : { ...c, dir: box.nextDir() };
  }),
  rule([...DISK, 'maxBytes'], int(1024)),
  rule([...DISK, 'dir'], optional(str), (v, box) => (optional(str)(v) ? box.nextDir() : v)),
  rule([...DISK, 'reliable'], optional(bool)),
  rule([...DISK, 'segmentBytes'], optional(int(1024, 2 ** 30))),
  rule([...DISK, 'memoryMessages'], optional(int(1))),
  rule(PATH0, logPath),
  rule([...PATH0, 'sources'], names(['in'])),
  rule([...PATH0, 'destinations'], names(['out', 'spare'])),
  rule([...PATH0, 'filter'], optional(fn)),
  rule([...PATH0, 'rewrite'], optional(fn)),
  rule([...PATH0, 'flowControl'], optional(bool)),
];

/** Objects that take no unknown key: their known keys and the start of the issue. */
// prettier-ignore
const KEY_LEVELS: { path: Path; known: string[]; label: string }[] = [
  { path: [], known: ['sources', 'destinations', 'logPaths', 'stateDir', 'stopTimeout', 'log', 'metrics'], label: 'config:' },
  { path: ['sources', 'in'], known: ['class', 'options', 'persistName', 'logIwSize', 'timeReopen'], label: 'sources.in:' },
  { path: OUT, known: ['class', 'options', 'persistName', 'retries', 'timeReopen', 'batchLines', 'batchBytes',
    'batchTimeout', 'logFifoSize', 'fallback', 'diskBuffer'], label: 'destinations.out:' },
  { path: DISK, known: DISK_KEYS, label: 'destinations.out.diskBuffer:' },
  { path: FILE, known: FILE_KEYS, label: 'component:options:' },
  { path: PATH0, known: PATH_KEYS, label: 'logPaths[0]:' },
  { path: ['log'], known: LOG_KEYS, label: 'log:' },
  { path: ['metrics'], known: METRICS_KEYS, label: 'metrics:' },
];

// ----------------------------------------------------------------- the values

/** An object that contains itself (twice), with or without a prototype. */
export function cyclic(nullProto: boolean): unknown {
  const o = (nullProto ? Object.create(null) : {}) as Obj;
  o.self = o;
  o.list = [o];
  return o;
}

// prettier-ignore
const SPECIAL_VALUES: unknown[] = [
  undefined, null, true, false, NaN, Infinity, -Infinity, -1, -0, 0, 0.5, 1, 1023, 1024, 65_535, 65_536,
  2 ** 31 - 1, 2 ** 31, 2 ** 53 - 1, 2 ** 53, 1e308, Number.MIN_VALUE, -(2 ** 31), 1n, 2n ** 64n,
  '', ' ', '0', '1', '10', '1e3', 'NaN', 'true', 'false', 'null', 'info', 'debug', 'x', '\0', 'a\0b', '\uD800',
  '/', '/health', '/metrics', '/a b', '/?', '127.0.0.1', 'in', 'out', 'spare', '__proto__', 'source.in', 'destination.spare',
  [], [''], [1], ['in'], ['out'], ['in', 'in'], ['out', 'spare'], ['nope'], [null], {}, { maxBytes: 4096 },
  { port: 0 }, { level: 'debug' }, { path: 'x' }, Object.create(null),
  () => true, () => { throw new Error('filter threw'); }, function named() {}, class {}, IdleSource, FileDestination, NullDestination, CaptureDestination,
  Symbol('s'), new Date(NaN), new Date(0), /x/, new Map([['a', 1]]), new Set([1]), new Uint8Array(2), new String('in'), new Number(5), new Boolean(false),
];

/** Any value at all, weighted towards the ones validators get wrong. */
export const badValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...SPECIAL_VALUES) },
  { weight: 1, arbitrary: fc.boolean().map(cyclic) },
  {
    weight: 3,
    // prettier-ignore
    arbitrary: fc.anything({ maxDepth: 2, withBigInt: true, withBoxedValues: true, withDate: true, withMap: true,
      withSet: true, withNullPrototype: true, withObjectString: true, withTypedArray: true, withSparseArray: true }),
  },
  { weight: 1, arbitrary: fc.integer() },
  { weight: 1, arbitrary: fc.double() },
  { weight: 1, arbitrary: fc.string({ maxLength: 10 }) },
);

export type Change =
  | { kind: 'value'; option: number; value: unknown }
  | { kind: 'key'; level: number; key: string; value: unknown };

const keyName = fc.oneof(
  fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'Class', 'retry', ''),
  fc.string({ maxLength: 8 }),
);

/** One change: an option set to a random value, or an unknown key added somewhere. */
// prettier-ignore
export const change: fc.Arbitrary<Change> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('value' as const), option: fc.nat(OPTIONS.length - 1), value: badValue }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('key' as const), level: fc.nat(KEY_LEVELS.length - 1), key: keyName, value: badValue }) },
);

export function getAt(root: unknown, path: Path): unknown {
  let o = root;
  for (const k of path) o = isObj(o) || Array.isArray(o) ? (o as Obj)[k as string] : undefined;
  return o;
}

const OWN = { enumerable: true, writable: true, configurable: true };

function setAt(root: Obj, path: Path, value: unknown): boolean {
  const parent = getAt(root, path.slice(0, -1));
  if (!isObj(parent) && !Array.isArray(parent)) return false;
  // defineProperty, so a key named "__proto__" becomes an own key, as in a parsed JSON file.
  Object.defineProperty(parent, path[path.length - 1]!, { value, ...OWN });
  return true;
}

const nested = (a: Path, b: Path): boolean => a.length <= b.length && a.every((k, i) => b[i] === k);

/**
 * The base config with `changes` applied (skipping one inside another), and
 * the start of every issue the runtime must report for it.
 */
export function build(
  box: Sandbox,
  withDiskBuffer: boolean,
  changes: Change[],
): { config: Obj; labels: string[] } {
  const config = baseConfig(box, withDiskBuffer);
  const labels: string[] = [];
  const paths: Path[] = [];
  for (const c of changes) {
    const path =
      c.kind === 'value' ? OPTIONS[c.option]!.path : [...KEY_LEVELS[c.level]!.path, c.key];
    if (paths.some((p) => nested(p, path) || nested(path, p))) continue;
    if (c.kind === 'key') {
      const level = KEY_LEVELS[c.level]!;
      if (level.known.includes(c.key) || !setAt(config, path, c.value)) continue;
      labels.push(level.label);
    } else {
      const o = OPTIONS[c.option]!;
      const value = o.defuse ? o.defuse(c.value, box) : c.value;
      if (!setAt(config, path, value)) continue;
      const v = o.verdict(value);
      if (v !== undefined) labels.push(v);
    }
    paths.push(path);
  }
  // A component without a valid class is not planned, and a replaced log path names
  // nothing: then nothing is compared with them.
  const broken =
    labels.some((l) => /^(sources|destinations)(\.(in|out))?(\.class)?\.?$/.test(l)) ||
    paths.some((p) => p[0] === 'logPaths' && p.length <= 2);
  return {
    config,
    labels: labels
      .filter((l) => !(broken && l.startsWith('xref:')))
      .map((l) => l.replace(/^xref:/, '')),
  };
}

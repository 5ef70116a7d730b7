import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ErrorCode, LifecycleError, LogpathError } from './errors.js';
import type { JsonValue } from './log-message.js';
import { writeFileAtomicSync } from './internal/atomic-file.js';
import { stateDirOf } from './internal/state-registry.js';

/** Options of {@link Persist}. */
export interface PersistOptions {
  /** State directory; default: the pipeline's `stateDir` for this persist name. */
  stateDir?: string;
}

interface Store {
  readonly file: string;
  readonly values: Map<string, string>; // key → JSON text
}

// One store per file, shared by every Persist of that name in this process (old and new instance across a reload).
const stores = new Map<string, Store>();

function openStore(file: string): Store {
  let store = stores.get(file);
  if (store) return store;
  const values = new Map<string, string>();
  let text: string | undefined;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new LogpathError(ErrorCode.PERSIST, `cannot read persist file ${file}`, { cause: err });
    }
  }
  if (text !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      throw new LogpathError(ErrorCode.PERSIST, `persist file ${file} is not valid JSON`, {
        cause: err,
      });
    }
    const entries = (parsed as { entries?: unknown }).entries;
    if (!Array.isArray(entries))
      throw new LogpathError(ErrorCode.PERSIST, `persist file ${file} has no entries`);
    for (const e of entries as [string, JsonValue][]) values.set(e[0], JSON.stringify(e[1]));
  }
  store = { file, values };
  stores.set(file, store);
  return store;
}

/**
 * Durable key-value state of one component, kept across restarts and
 * reloads. Create it in or after `init()`: `new Persist(this.persistName)`.
 * Each `set()` and `delete()` is written atomically (temp file, fsync,
 * rename) before it returns, so it survives `kill -9`. Keys are exact: two
 * components never see each other's keys.
 *
 * @example
 * const state = new Persist(this.persistName, { cursor: null });
 * state.set('cursor', page.next);
 */
export class Persist {
  readonly #store: Store;
  readonly #name: string;

  /**
   * @param persistName - the component's `persistName`.
   * @param defaults - values for keys that are not stored yet (not written until set).
   * @throws LifecycleError when no pipeline has registered `persistName` (called before `init()`) and no `stateDir` is given.
   * @throws LogpathError ERR_PERSIST when the stored file cannot be read.
   */
  constructor(
    persistName: string,
    defaults?: Record<string, JsonValue>,
    options: PersistOptions = {},
  ) {
    const dir = options.stateDir ?? stateDirOf(persistName);
    if (dir === undefined) {
      throw new LifecycleError(
        `Persist("${persistName}"): no pipeline has registered this persist name; create Persist in or after init(), or pass { stateDir }`,
      );
    }
    this.#name = persistName;
    this.#store = openStore(
      join(resolve(dir), 'persist', `${encodeURIComponent(persistName)}.json`),
    );
    if (defaults) {
      for (const [k, v] of Object.entries(defaults)) {
        if (!this.#store.values.has(k)) this.#store.values.set(k, encode(persistName, k, v));
      }
    }
  }

  /** The stored value of `key` (a fresh copy), or `undefined`. */
  get<T extends JsonValue = JsonValue>(key: string): T | undefined {
    const text = this.#store.values.get(key);
    return text === undefined ? undefined : (JSON.parse(text) as T);
  }

  /** True when `key` is stored (or has a default). */
  has(key: string): boolean {
    return this.#store.values.has(key);
  }

  /**
   * Stores `value` under `key` durably before returning.
   * @throws TypeError when the value is not JSON (undefined, a function, a bigint, NaN…).
   */
  set(key: string, value: JsonValue): void {
    this.#store.values.set(key, encode(this.#name, key, value));
    this.#write();
  }

  /** Removes `key` durably; true when it was stored. */
  delete(key: string): boolean {
    const had = this.#store.values.delete(key);
    if (had) this.#write();
    return had;
  }

  /** Every stored key of this persist name, exactly (no prefix matching). */
  keys(): string[] {
    return [...this.#store.values.keys()];
  }

  #write(): void {
    const entries = [...this.#store.values].map(([k, v]) => `[${JSON.stringify(k)},${v}]`);
    writeFileAtomicSync(
      this.#store.file,
      `{"name":${JSON.stringify(this.#name)},"entries":[${entries.join(',')}]}\n`,
    );
  }
}

function encode(name: string, key: string, value: JsonValue): string {
  const bad = findNonJson(value);
  if (bad !== undefined)
    throw new TypeError(`Persist("${name}").set("${key}"): ${bad} is not a JSON value`);
  return JSON.stringify(value);
}

function findNonJson(v: unknown, depth = 0): string | undefined {
  if (depth > 100) return 'a value nested over 100 levels';
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return undefined;
  if (typeof v === 'number') return Number.isFinite(v) ? undefined : String(v);
  if (Array.isArray(v)) {
    for (const x of v) {
      const bad = findNonJson(x, depth + 1);
      if (bad) return bad;
    }
    return undefined;
  }
  const proto: unknown = typeof v === 'object' ? Object.getPrototypeOf(v) : undefined;
  if (proto === Object.prototype || proto === null) {
    for (const x of Object.values(v as object)) {
      const bad = findNonJson(x, depth + 1);
      if (bad) return bad;
    }
    return undefined;
  }
  return typeof v === 'object'
    ? `an object of class ${v.constructor?.name ?? 'null'}`
    : `a ${typeof v}`;
}

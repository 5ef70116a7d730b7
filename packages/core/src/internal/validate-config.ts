import type {
  DestinationConfig,
  LogPathConfig,
  MetricsConfig,
  PipelineConfig,
  SourceConfig,
} from '../config.js';
import { resolveDiskBufferOptions, type ResolvedDiskBuffer } from '../disk-buffer-options.js';
import {
  DESTINATION_DRIVER_KEYS,
  resolveDestinationDriverOptions,
  resolveSourceDriverOptions,
  SOURCE_DRIVER_KEYS,
  type DestinationDriverOptions,
  type SourceDriverOptions,
} from '../driver-options.js';
import { ConfigError, ErrorCode } from '../errors.js';
import { LogDestination } from '../log-destination.js';
import { LogSource } from '../log-source.js';
import type { LogLevel } from '../logger.js';
import {
  checkBoolean,
  checkInt,
  checkKnownKeys,
  checkMs,
  checkOneOf,
  checkString,
  show,
  type Issues,
} from '../option-checks.js';

/** A validated component, ready to be instantiated. */
export interface PlannedComponent<TDriver> {
  readonly kind: 'source' | 'destination';
  readonly name: string;
  readonly persistName: string;
  readonly cls: new () => unknown;
  readonly options: unknown;
  readonly driver: Required<TDriver>;
  readonly fallback?: string;
  /** Destinations: the disk buffer, when configured. */
  readonly diskBuffer?: ResolvedDiskBuffer;
}

/** A validated log path. */
export type PlannedPath = Omit<LogPathConfig, 'flowControl'> & { readonly flowControl: boolean };

/** A config after validation: every name resolved, every option checked. */
export interface Plan {
  readonly sources: PlannedComponent<SourceDriverOptions>[];
  readonly destinations: PlannedComponent<DestinationDriverOptions>[];
  readonly logPaths: PlannedPath[];
  readonly stateDir: string;
  readonly stopTimeout: number;
  readonly logLevel: LogLevel;
  readonly logToStderr: boolean;
  /** The Prometheus endpoint, with defaults applied; undefined when off. */
  readonly metrics: Readonly<Required<MetricsConfig>> | undefined;
}

/** Defaults of the optional {@link MetricsConfig} fields. */
export const DEFAULT_METRICS_OPTIONS: Readonly<Required<Omit<MetricsConfig, 'port'>>> =
  Object.freeze({ host: '127.0.0.1', path: '/metrics' });

const TOP_KEYS = [
  'sources',
  'destinations',
  'logPaths',
  'stateDir',
  'stopTimeout',
  'log',
  'metrics',
];
const PATH_KEYS = ['sources', 'destinations', 'filter', 'rewrite', 'flowControl'];
const COMMON_KEYS = ['class', 'options', 'persistName'];

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isSubclass(cls: unknown, base: abstract new () => unknown): boolean {
  return typeof cls === 'function' && (cls as { prototype?: unknown }).prototype instanceof base;
}

function planComponent<T extends SourceDriverOptions | DestinationDriverOptions>(
  kind: 'source' | 'destination',
  name: string,
  raw: unknown,
  stateDir: string,
  issues: Issues,
): PlannedComponent<T> | undefined {
  const where = `${kind}s.${name}`;
  if (!isPlainObject(raw)) {
    issues.push(`${where} must be an object with a "class", got ${show(raw)}`);
    return undefined;
  }
  const cfg = raw as unknown as SourceConfig & DestinationConfig;
  const base = kind === 'source' ? LogSource : LogDestination;
  const baseName = kind === 'source' ? 'LogSource' : 'LogDestination';
  const driverKeys =
    kind === 'source' ? SOURCE_DRIVER_KEYS : [...DESTINATION_DRIVER_KEYS, 'fallback', 'diskBuffer'];
  checkKnownKeys(issues, where, cfg, [...COMMON_KEYS, ...driverKeys]);
  let ok = true;
  if (!isSubclass(cfg.class, base)) {
    issues.push(`${where}.class must be a subclass of ${baseName}, got ${show(cfg.class)}`);
    ok = false;
  }
  if (cfg.options !== undefined && !isPlainObject(cfg.options)) {
    issues.push(`${where}.options must be an object, got ${show(cfg.options)}`);
  }
  const driver =
    kind === 'source'
      ? resolveSourceDriverOptions(where, cfg, issues)
      : resolveDestinationDriverOptions(where, cfg, issues);
  let persistName = kind + '.' + name;
  if (cfg.persistName !== undefined) {
    if (checkString(issues, `${where}.persistName`, cfg.persistName)) persistName = cfg.persistName;
  } else if (ok && typeof cfg.class.generatePersistName === 'function') {
    try {
      const generated = cfg.class.generatePersistName((cfg.options ?? {}) as never);
      if (
        checkString(issues, `${where}: ${cfg.class.name}.generatePersistName() result`, generated)
      ) {
        persistName = `${cfg.class.name}.${generated}`;
      }
    } catch (err) {
      issues.push(
        `${where}: ${cfg.class.name}.generatePersistName() threw: ${err instanceof Error ? err.message : show(err)}`,
      );
    }
  }
  // Only a valid name is kept: the checks below put it into messages (a Symbol would throw there).
  const fallback =
    cfg.fallback !== undefined && checkString(issues, `${where}.fallback`, cfg.fallback)
      ? cfg.fallback
      : undefined;
  // The persist name becomes a file name through encodeURIComponent, which throws on a lone surrogate.
  const wellFormed = !LONE_SURROGATE.test(persistName);
  if (!wellFormed) {
    issues.push(
      `${where}.persistName must not contain unpaired surrogates, got ${show(persistName)}`,
    );
  }
  const diskBuffer =
    wellFormed && kind === 'destination' && cfg.diskBuffer !== undefined
      ? resolveDiskBufferOptions(where, cfg.diskBuffer, stateDir, persistName, issues)
      : undefined;
  if (!ok) return undefined;
  return {
    kind,
    name,
    persistName,
    cls: cfg.class as unknown as new () => unknown,
    options: cfg.options ?? {},
    driver: driver as unknown as Required<T>,
    fallback,
    diskBuffer,
  };
}

/**
 * Validates a whole config and reports every problem at once.
 * @throws ConfigError listing each issue; persist-name collisions use ERR_PERSIST_NAME_COLLISION.
 */
export function planPipeline(config: PipelineConfig): Plan {
  const issues: Issues = [];
  if (!isPlainObject(config))
    throw new ConfigError(`the config must be an object, got ${show(config)}`);
  checkKnownKeys(issues, 'config', config, TOP_KEYS);
  const sources: PlannedComponent<SourceDriverOptions>[] = [];
  const destinations: PlannedComponent<DestinationDriverOptions>[] = [];
  const stateDir =
    typeof config.stateDir === 'string' && config.stateDir !== '' ? config.stateDir : './.logpath';
  for (const kind of ['source', 'destination'] as const) {
    const group: unknown = config[`${kind}s`];
    if (!isPlainObject(group)) {
      issues.push(`${kind}s must be an object of named ${kind}s, got ${show(group)}`);
      continue;
    }
    for (const [name, raw] of Object.entries(group)) {
      const planned = planComponent(kind, name, raw, stateDir, issues);
      if (planned) (kind === 'source' ? sources : destinations).push(planned as never);
    }
  }
  const owners = new Map<string, string>();
  let collision = false;
  for (const c of [...sources, ...destinations]) {
    const label = `${c.kind} "${c.name}"`;
    const other = owners.get(c.persistName);
    if (other !== undefined) {
      collision = true;
      issues.push(
        `persist name "${c.persistName}" is used by both ${other} and ${label}; set a unique persistName on one of them`,
      );
    } else owners.set(c.persistName, label);
  }
  const bufferDirs = new Map<string, string>();
  for (const d of destinations) {
    if (d.diskBuffer === undefined) continue;
    const other = bufferDirs.get(d.diskBuffer.dir);
    if (other === undefined) bufferDirs.set(d.diskBuffer.dir, d.name);
    else {
      issues.push(
        `destinations.${d.name}.diskBuffer.dir ${show(d.diskBuffer.dir)} is also the disk buffer of destinations.${other}; each destination needs its own directory`,
      );
    }
  }
  const destNames = new Set(
    Object.keys(isPlainObject(config.destinations) ? config.destinations : {}),
  );
  const srcNames = new Set(Object.keys(isPlainObject(config.sources) ? config.sources : {}));
  for (const d of destinations) {
    if (d.fallback === undefined) continue;
    if (!destNames.has(d.fallback)) {
      issues.push(`destinations.${d.name}.fallback names an unknown destination "${d.fallback}"`);
    } else if (d.fallback === d.name) {
      issues.push(`destinations.${d.name}.fallback cannot name the destination itself`);
    }
  }
  // A cycle would bounce a message that every member drops between them forever.
  const fallbackOf = new Map(destinations.map((d) => [d.name, d.fallback]));
  const reported = new Set<string>();
  for (const d of destinations) {
    const chain = [d.name];
    for (
      let next = d.fallback;
      next !== undefined && next !== d.name;
      next = fallbackOf.get(next)
    ) {
      if (chain.includes(next)) break; // a cycle that does not include d: reported from its members
      chain.push(next);
      if (fallbackOf.get(next) === d.name && !reported.has(d.name)) {
        for (const n of chain) reported.add(n);
        issues.push(
          `destinations: fallbacks form a cycle (${[...chain, d.name].join(' → ')}); a message all of them drop would never end`,
        );
      }
    }
  }
  const logPaths: Plan['logPaths'] = [];
  if (!Array.isArray(config.logPaths) || config.logPaths.length === 0) {
    issues.push(`logPaths must be a non-empty array of log paths, got ${show(config.logPaths)}`);
  } else {
    // An index loop, not forEach: a hole in a sparse array must be reported, not skipped.
    for (let i = 0; i < config.logPaths.length; i++) {
      const p = config.logPaths[i];
      const where = `logPaths[${i}]`;
      if (!isPlainObject(p)) {
        issues.push(`${where} must be an object, got ${show(p)}`);
        continue;
      }
      checkKnownKeys(issues, where, p, PATH_KEYS);
      for (const [key, known, kind] of [
        ['sources', srcNames, 'source'],
        ['destinations', destNames, 'destination'],
      ] as const) {
        const names: unknown = p[key];
        if (!Array.isArray(names) || names.length === 0) {
          issues.push(
            `${where}.${key} must be a non-empty array of ${kind} names, got ${show(names)}`,
          );
          continue;
        }
        for (const n of names) {
          if (!known.has(n as string))
            issues.push(`${where}.${key} names an unknown ${kind} ${show(n)}`);
        }
      }
      for (const fn of ['filter', 'rewrite'] as const) {
        if (p[fn] !== undefined && typeof p[fn] !== 'function') {
          issues.push(`${where}.${fn} must be a function, got ${show(p[fn])}`);
        }
      }
      if (p.flowControl !== undefined) checkBoolean(issues, `${where}.flowControl`, p.flowControl);
      logPaths.push({ ...p, flowControl: p.flowControl ?? true });
    }
  }
  let stopTimeout = 10_000;
  if (config.stopTimeout !== undefined && checkMs(issues, 'stopTimeout', config.stopTimeout)) {
    stopTimeout = config.stopTimeout;
  }
  if (config.stateDir !== undefined) checkString(issues, 'stateDir', config.stateDir);
  let logLevel: LogLevel = 'info';
  let logToStderr = true;
  if (config.log !== undefined) {
    if (!isPlainObject(config.log)) issues.push(`log must be an object, got ${show(config.log)}`);
    else {
      checkKnownKeys(issues, 'log', config.log, ['level', 'stderr']);
      const { level, stderr } = config.log;
      if (
        level !== undefined &&
        checkOneOf(issues, 'log.level', level, ['error', 'warn', 'info', 'debug'])
      ) {
        logLevel = level;
      }
      if (stderr !== undefined && checkBoolean(issues, 'log.stderr', stderr)) logToStderr = stderr;
    }
  }
  const metrics = config.metrics === undefined ? undefined : planMetrics(config.metrics, issues);
  if (issues.length > 0) {
    throw new ConfigError(issues, {
      code:
        collision && issues.length === 1
          ? ErrorCode.PERSIST_NAME_COLLISION
          : ErrorCode.INVALID_CONFIG,
    });
  }
  return {
    sources,
    destinations,
    logPaths,
    stateDir: config.stateDir ?? './.logpath',
    stopTimeout,
    logLevel,
    logToStderr,
    metrics,
  };
}

function planMetrics(raw: unknown, issues: Issues): Required<MetricsConfig> | undefined {
  if (!isPlainObject(raw)) {
    issues.push(`metrics must be an object with a "port", got ${show(raw)}`);
    return undefined;
  }
  checkKnownKeys(issues, 'metrics', raw, ['port', 'host', 'path']);
  const out = { port: 0, ...DEFAULT_METRICS_OPTIONS };
  let ok = checkInt(issues, 'metrics.port', raw.port, 0, 65_535);
  if (ok) out.port = raw.port as number;
  if (raw.host !== undefined) {
    if (checkString(issues, 'metrics.host', raw.host)) out.host = raw.host;
    else ok = false;
  }
  if (raw.path !== undefined) {
    const path = raw.path;
    const valid = typeof path === 'string' && /^\/[^?#\s]*$/.test(path) && path !== '/health';
    if (!valid) {
      issues.push(
        `metrics.path must be a path starting with "/", other than "/health", without spaces, "?" or "#", got ${show(path)}`,
      );
      ok = false;
    } else out.path = path;
  }
  return ok ? out : undefined;
}

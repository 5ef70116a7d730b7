import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as core from './index.js';
import { ConsoleDestination } from './destinations/console-destination.js';
import { FileDestination } from './destinations/file-destination.js';
import { isLogpathError } from './errors.js';
import { InternalSource } from './internal-source.js';
import { LogMessage } from './log-message.js';
import { LogDestination } from './log-destination.js';
import { LogSource } from './log-source.js';
import { checkOptionsDoc, parseOptionSections } from './internal/docs-table.js';
import { DEFAULT_METRICS_OPTIONS, planPipeline } from './internal/validate-config.js';

// docs/options.md documents every option of @logpath/core with its default.
// This test holds it against the code, so the two cannot drift apart.

const DOC_URL = new URL('../../../docs/options.md', import.meta.url);
const doc = readFileSync(DOC_URL, 'utf8');
const UNKNOWN = 'zz_not_an_option';

class Src extends LogSource {
  override run(): void {}
}
class Dst extends LogDestination {
  override send(): 3 {
    return this.SUCCESS;
  }
}

/** The smallest valid config; `extra` adds keys in the given places. */
function config(extra: {
  top?: object;
  source?: object;
  destination?: object;
  path?: object;
}): core.PipelineConfig {
  return {
    sources: { s: { class: Src, ...extra.source } },
    destinations: { d: { class: Dst, ...extra.destination } },
    logPaths: [{ sources: ['s'], destinations: ['d'], ...extra.path }],
    ...extra.top,
  };
}

/**
 * The option names a validator accepts, read from the ConfigError it throws
 * for an unknown one: `… unknown option "x" (known: a, b, c)`.
 */
function knownKeys(run: () => unknown): string[] {
  let err: unknown;
  try {
    run();
  } catch (e) {
    err = e;
  }
  if (!isLogpathError(err)) throw new Error(`expected a ConfigError, got ${String(err)}`);
  const issues = (err as core.ConfigError).issues;
  const hit = issues
    .map((i) => new RegExp(`unknown option "${UNKNOWN}" \\(known: ([^)]*)\\)`).exec(i))
    .find((m) => m !== null);
  if (!hit) throw new Error(`no "unknown option" issue among: ${issues.join('; ')}`);
  return hit[1]!.split(', ');
}

/** Every `DEFAULT_*` object that @logpath/core exports, plus the internal metrics defaults. */
function defaultsObjects(): Record<string, object> {
  const out: Record<string, object> = { DEFAULT_METRICS_OPTIONS };
  for (const [name, value] of Object.entries(core)) {
    if (name.startsWith('DEFAULT_')) out[name] = value as object;
  }
  return out;
}

/** Defaults that live in code paths rather than in a frozen object, read by running that code. */
function derivedDefaults(): Record<string, Record<string, unknown>> {
  const plan = planPipeline(config({}));
  const source = new Src();
  return {
    PipelineConfig: {
      stateDir: plan.stateDir,
      stopTimeout: plan.stopTimeout,
      'log.level': plan.logLevel,
      'log.stderr': plan.logToStderr,
    },
    SourceConfig: { options: plan.sources[0]!.options },
    DestinationConfig: { options: plan.destinations[0]!.options },
    LogPathConfig: { flowControl: plan.logPaths[0]!.flowControl },
    LogSource: { autoCloseBatches: source.autoCloseBatches, ackTracker: source.ackTracker },
    ParseOptions: { defaultPri: LogMessage.parse('a line without a priority').getPri() },
  };
}

/** The options each section must document: exactly those its validator accepts. */
function acceptedOptions(): Record<string, string[]> {
  const bad = { [UNKNOWN]: 1 };
  const top = knownKeys(() => planPipeline(config({ top: bad })));
  const log = knownKeys(() => planPipeline(config({ top: { log: bad } })));
  return {
    PipelineConfig: [...top.filter((k) => k !== 'log'), ...log.map((k) => `log.${k}`)],
    SourceConfig: knownKeys(() => planPipeline(config({ source: bad }))),
    DestinationConfig: knownKeys(() => planPipeline(config({ destination: bad }))),
    LogPathConfig: knownKeys(() => planPipeline(config({ path: bad }))),
    MetricsConfig: knownKeys(() => planPipeline(config({ top: { metrics: { port: 0, ...bad } } }))),
    DiskBufferOptions: knownKeys(() =>
      planPipeline(config({ destination: { diskBuffer: { maxBytes: 1 << 20, ...bad } } })),
    ),
    FileDestination: knownKeys(() => new FileDestination().init({ path: 'x.log', ...bad })),
    ConsoleDestination: knownKeys(() => new ConsoleDestination().init(bad as object)),
    InternalSource: knownKeys(() => new InternalSource().init(bad as object)),
  };
}

describe('docs/options.md', () => {
  it('documents every DEFAULT_* object of @logpath/core with the defaults the code has', () => {
    const problems = checkOptionsDoc(doc, {
      defaults: defaultsObjects(),
      derived: derivedDefaults(),
    });
    expect(problems).toEqual([]);
  });

  it('finds the DEFAULT_* objects it checks (the export scan itself works)', () => {
    expect(Object.keys(defaultsObjects()).sort()).toEqual(
      expect.arrayContaining([
        'DEFAULT_CONSOLE_DESTINATION_OPTIONS',
        'DEFAULT_DESTINATION_DRIVER_OPTIONS',
        'DEFAULT_DISK_BUFFER_OPTIONS',
        'DEFAULT_FILE_DESTINATION_OPTIONS',
        'DEFAULT_INTERNAL_SOURCE_OPTIONS',
        'DEFAULT_METRICS_OPTIONS',
        'DEFAULT_SOURCE_DRIVER_OPTIONS',
      ]),
    );
  });

  it('has a row for every option the validators accept, and none they reject', () => {
    const sections = new Map(parseOptionSections(doc).map((s) => [s.heading, s]));
    for (const [heading, accepted] of Object.entries(acceptedOptions())) {
      const documented = sections.get(heading)?.rows.map((r) => r.option) ?? [];
      expect({ heading, options: [...documented].sort() }).toEqual({
        heading,
        options: [...accepted].sort(),
      });
    }
  });
});

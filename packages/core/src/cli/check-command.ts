import type { PipelineConfig } from '../config.js';
import { plural, processIo, reportError, type CliIo } from './cli-io.js';
import { ConfigError } from '../errors.js';
import { checkComponents } from '../internal/check-components.js';
import { loadConfig } from './load-config.js';

/** "2 sources, 1 destination, 1 log path": the shape of a valid config. */
export function summarizeConfig(config: PipelineConfig): string {
  return [
    plural(Object.keys(config.sources).length, 'source'),
    plural(Object.keys(config.destinations).length, 'destination'),
    plural(config.logPaths.length, 'log path'),
  ].join(', ');
}

/**
 * `logpath check <config>`: loads and validates the config, resolving every
 * class, then runs every component's `init()` on its options (and `deinit()`)
 * without starting anything. Prints every problem (one `error:` line each)
 * and returns 1, or prints `ok: <summary>` and returns 0.
 */
export async function checkCommand(file: string, io: CliIo = processIo): Promise<number> {
  let config: PipelineConfig;
  try {
    config = await loadConfig(file);
    const problems = await checkComponents(config);
    if (problems.length > 0) throw new ConfigError(problems);
  } catch (err) {
    const n = reportError(io, err);
    io.stderr.write(`${file}: ${plural(n, 'problem')}\n`);
    return 1;
  }
  io.stdout.write(`ok: ${summarizeConfig(config)}\n`);
  return 0;
}

import type { PipelineConfig } from '../config.js';
import { describeError, isLogpathError } from '../errors.js';
import type { LogDestination } from '../log-destination.js';
import type { LogSource } from '../log-source.js';
import { silentLogger } from '../log-destination.js';
import { registerStateDir } from './state-registry.js';
import { planPipeline } from './validate-config.js';

/**
 * Runs every component's `init()` with its options (then `deinit()`), without
 * starting anything, and returns one line per component that refused its
 * options — so `logpath check` reports option errors of every plugin at once,
 * not only the first one `run` would hit. `init()` validates by contract; it
 * must not bind ports or open connections (that is `run()`'s and `open()`'s job).
 * @throws ConfigError when the config itself is invalid (as Pipeline#start).
 */
export async function checkComponents(config: PipelineConfig): Promise<string[]> {
  const plan = planPipeline(config);
  const problems: string[] = [];
  for (const c of [...plan.destinations, ...plan.sources]) {
    const unregister = registerStateDir(c.persistName, plan.stateDir);
    const inst = new (c.cls as new () => LogSource<unknown> | LogDestination<unknown>)();
    inst.persistName = c.persistName;
    inst.logger = silentLogger;
    try {
      const ok = await inst.init(c.options);
      if (ok === false) problems.push(`${c.kind}s.${c.name}: init() returned false`);
      else await inst.deinit();
    } catch (err) {
      const issues = (err as { issues?: unknown }).issues;
      const lines =
        isLogpathError(err) && Array.isArray(issues) && issues.length > 0
          ? (issues as string[])
          : [isLogpathError(err) ? err.message : describeError(err).split('\n')[0]!];
      for (const line of lines) problems.push(`${c.kind}s.${c.name}: ${line}`);
    } finally {
      unregister();
    }
  }
  return problems;
}

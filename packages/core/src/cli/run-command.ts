import { resolve } from 'node:path';
import type { PipelineConfig } from '../config.js';
import { Pipeline } from '../pipeline.js';
import { summarizeConfig } from './check-command.js';
import { errorLines, logLine, plural, processIo, reportError, type CliIo } from './cli-io.js';
import { loadConfig } from './load-config.js';
import { startStatusLine } from './status-line.js';

type SignalListener = (signal: NodeJS.Signals) => void;

/** Something that delivers signals like `process` does. */
export interface SignalSource {
  on(signal: NodeJS.Signals, listener: SignalListener): unknown;
  off(signal: NodeJS.Signals, listener: SignalListener): unknown;
}

/** Options of {@link runCommand}; the defaults are the real process. */
export interface RunCommandOptions {
  /** Output streams. Default: process.stdout and process.stderr. */
  io?: CliIo;
  /** Where SIGINT, SIGTERM and SIGHUP come from. Default: `process`. */
  signals?: SignalSource;
  /** Called with 130 on a second stop signal. Default: `process.exit`. */
  exit?: (code: number) => void;
  /** Live one-line status, redrawn every second. Default: when stderr is a terminal. */
  statusLine?: boolean;
}

/** Exit code after a second SIGINT/SIGTERM, as shells report an interrupted program. */
export const FORCED_EXIT_CODE = 130;

/**
 * `logpath run <config>`: loads the config, starts a {@link Pipeline} and runs
 * it until SIGINT or SIGTERM, then stops it gracefully (a second signal exits
 * at once with code 130). SIGHUP reloads the same file; a reload that fails
 * is logged and the running config stays. Signal listeners are removed
 * before this returns.
 * @returns the exit code: 0 after a clean stop, 1 when the config is invalid or startup fails.
 */
export async function runCommand(file: string, options: RunCommandOptions = {}): Promise<number> {
  const io = options.io ?? processIo;
  const signals = options.signals ?? process;
  const exit = options.exit ?? ((code: number) => process.exit(code));

  let config: PipelineConfig;
  try {
    config = await loadConfig(file);
  } catch (err) {
    reportError(io, err);
    return 1;
  }
  const pipeline = new Pipeline(config);
  let running = false;
  let stopSignal: NodeJS.Signals | undefined;
  let wake: () => void = () => {};
  const stopRequested = new Promise<void>((resolve) => (wake = resolve));
  let reloading: Promise<void> | undefined;
  let reloadAgain = false;

  const reloadLoop = async (): Promise<void> => {
    do {
      reloadAgain = false;
      logLine(io, 'info', `reloading ${file}`);
      try {
        const next = await loadConfig(file);
        if (stopSignal !== undefined) return;
        await pipeline.reload(next);
      } catch (err) {
        const lines = errorLines(err);
        logLine(
          io,
          'error',
          `reload failed, still running the previous config (${plural(lines.length, 'problem')}):`,
        );
        for (const line of lines) logLine(io, 'error', `  ${line.replace(/\n\s*/g, ' | ')}`);
      }
    } while (reloadAgain && stopSignal === undefined);
  };

  const onStop: SignalListener = (signal) => {
    if (stopSignal !== undefined) {
      logLine(io, 'warn', `received ${signal} again: exiting without finishing the stop`);
      exit(FORCED_EXIT_CODE);
      return;
    }
    stopSignal = signal;
    logLine(io, 'info', `received ${signal}: stopping (send it again to exit at once)`);
    wake();
  };
  const onReload: SignalListener = () => {
    if (!running || stopSignal !== undefined) {
      logLine(
        io,
        'warn',
        `received SIGHUP while ${running ? 'stopping' : 'starting'}: not reloading`,
      );
      return;
    }
    // Reloads never overlap: one arriving during a reload runs right after it, reading the file anew.
    if (reloading) {
      reloadAgain = true;
      return;
    }
    reloading = reloadLoop().finally(() => (reloading = undefined));
  };
  const listeners: [NodeJS.Signals, SignalListener][] = [
    ['SIGINT', onStop],
    ['SIGTERM', onStop],
    ['SIGHUP', onReload],
  ];
  // Installed before start(), so that a signal during a slow start still stops cleanly.
  for (const [signal, listener] of listeners) signals.on(signal, listener);
  // Signal listeners do not keep Node alive: with idle sources (waiting on a
  // promise, not a socket or timer) the process would end in the middle of the run.
  const keepAlive = setInterval(() => {}, 2 ** 30);
  try {
    try {
      await pipeline.start();
    } catch (err) {
      reportError(io, err);
      return 1;
    }
    running = true;
    const status =
      (options.statusLine ?? process.stderr.isTTY) && io === processIo
        ? startStatusLine(process.stderr, () => pipeline.stats())
        : undefined;
    if (stopSignal === undefined) {
      logLine(
        io,
        'info',
        `running ${resolve(file)} (pid ${process.pid}): ${summarizeConfig(config)}; ` +
          'SIGINT or SIGTERM stops, SIGHUP reloads the file',
      );
    }
    await stopRequested;
    status?.stop();
    // pipeline.reload() and stop() must not overlap: let a reload in progress finish first.
    await reloading;
    try {
      await pipeline.stop();
    } catch (err) {
      reportError(io, err);
      return 1;
    }
    return 0;
  } finally {
    clearInterval(keepAlive);
    for (const [signal, listener] of listeners) signals.off(signal, listener);
  }
}

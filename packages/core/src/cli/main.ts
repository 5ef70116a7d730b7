#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { checkCommand } from './check-command.js';
import { processIo, type CliIo } from './cli-io.js';
import { runCommand } from './run-command.js';

const USAGE = `Usage: logpath <command> <config>

Commands:
  run <config>    run the pipeline described by <config> until SIGINT or SIGTERM
                  (a second signal exits at once); SIGHUP reloads <config>
  check <config>  load and validate <config>, print every problem, start nothing

<config> is a .ts, .mts, .js, .mjs or .json file.

Options:
  -h, --help      print this help
  -v, --version   print the version
`;

/** Exit code for a command line that could not be understood. */
const USAGE_EXIT_CODE = 2;

function version(): string {
  // Two levels up from src/cli/ and from dist/cli/ alike.
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

function usageError(io: CliIo, message: string): number {
  io.stderr.write(`logpath: ${message}\n\n${USAGE}`);
  return USAGE_EXIT_CODE;
}

/**
 * Runs the `logpath` command line `argv` (without node and script) and
 * returns the exit code: 0 on success, 1 on a failed check or run, 2 on a
 * command line it does not understand.
 */
async function main(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: { help: { type: 'boolean', short: 'h' }, version: { type: 'boolean', short: 'v' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    return usageError(io, (err as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.stdout.write(USAGE);
    return 0;
  }
  if (values.version) {
    io.stdout.write(`${version()}\n`);
    return 0;
  }
  const [command, file, ...extra] = positionals;
  if (command === undefined) return usageError(io, 'missing command');
  if (command !== 'run' && command !== 'check')
    return usageError(io, `unknown command "${command}"`);
  if (file === undefined) return usageError(io, `${command}: missing <config>`);
  if (extra.length > 0) return usageError(io, `${command}: unexpected argument "${extra[0]}"`);
  return command === 'run' ? runCommand(file, { io }) : checkCommand(file, io);
}

process.exitCode = await main(process.argv.slice(2));
// After a clean stop the event loop should empty on its own; a plugin that
// leaks a socket or timer must not keep a stopped pipeline's process alive.
setTimeout(() => {
  process.stderr.write(
    'logpath: a socket or timer left open (by a plugin?) kept Node running; exiting anyway\n',
  );
  process.exit();
}, 2000).unref();

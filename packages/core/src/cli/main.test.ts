import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runCli } from './test-cli.js';

const cwd = process.cwd();
const { version } = JSON.parse(
  readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
) as {
  version: string;
};

describe('logpath command line', () => {
  it('--help prints the usage to stdout and exits 0', async () => {
    const r = await runCli(['--help'], cwd);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: logpath <command> <config>\n/);
    expect(r.stdout).toMatch(/\n {2}run <config> .*\n[\s\S]*\n {2}check <config> /);
    expect(r.stderr).toBe('');
  });

  it('--version prints the package version', async () => {
    const r = await runCli(['-v'], cwd);
    expect(r).toMatchObject({ code: 0, stdout: `${version}\n`, stderr: '' });
  });

  it.each([
    [['deploy', 'x.ts'], 'unknown command "deploy"'],
    [[], 'missing command'],
    [['run'], 'run: missing <config>'],
    [['check', 'a.ts', 'b.ts'], 'check: unexpected argument "b.ts"'],
    [['check', '--watch', 'a.ts'], "Unknown option '--watch'"],
  ])('%j prints the usage to stderr and exits 2', async (args, message) => {
    const r = await runCli(args, cwd);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n', 1)[0]).toContain(`logpath: ${message}`);
    expect(r.stderr).toContain('Usage: logpath <command> <config>');
  });
});

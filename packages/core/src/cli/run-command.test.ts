import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  COMPONENTS_TS,
  makeFixture,
  removeFixture,
  spawnCli,
  type CliProcess,
} from './test-cli.js';

let dir: string | undefined;
let cli: CliProcess | undefined;

afterEach(async () => {
  if (cli && cli.child.exitCode === null && cli.child.signalCode === null) {
    cli.child.kill('SIGKILL');
    await cli.exited;
  }
  cli = undefined;
  if (dir) await removeFixture(dir);
  dir = undefined;
});

interface ConfigParts {
  source?: string;
  options?: string;
  destination?: string;
  extra?: string;
}

/** A config: source `a` (a class of components.ts) with `options` → LinesDestination writing out.txt. */
function config({
  source = 'CountSource',
  options = '{}',
  destination = 'out',
  extra = '',
}: ConfigParts = {}): string {
  return `import { defineConfig } from '@logpath/core';
import { ${source}, LinesDestination } from './components.js';
export default defineConfig({
  sources: { a: { class: ${source}, options: ${options} } },
  destinations: { out: { class: LinesDestination, options: { path: 'out.txt' } } },
  logPaths: [{ sources: ['a'], destinations: ['${destination}'] }],
  ${extra}
});
`;
}

async function start(configText: string): Promise<{ dir: string; cli: CliProcess }> {
  dir = await makeFixture({ 'components.ts': COMPONENTS_TS, 'logpath.config.ts': configText });
  cli = spawnCli(['run', 'logpath.config.ts'], dir);
  return { dir, cli };
}

/** Polls `check` until it passes; generous, since a loaded machine may start Node slowly. */
function until(check: () => void): Promise<void> {
  return vi.waitFor(check, { timeout: 15_000, interval: 20 });
}

function lines(d: string): string[] {
  const file = join(d, 'out.txt');
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
}

describe('logpath run', () => {
  it('runs until SIGTERM, then stops cleanly and exits 0', async () => {
    const { dir: d, cli: p } = await start(config({ options: '{ count: 5 }' }));
    const running = await p.waitForStderr(/\[logpath\] running /);
    expect(running).toMatch(
      new RegExp(
        `running /.+/logpath\\.config\\.ts \\(pid ${p.child.pid}\\): 1 source, 1 destination, 1 log path`,
      ),
    );
    await until(() => expect(lines(d)).toHaveLength(5));
    p.child.kill('SIGTERM');
    expect(await p.exited).toEqual({ code: 0, signal: null });
    expect(lines(d)).toEqual(['m 0', 'm 1', 'm 2', 'm 3', 'm 4']);
    expect(p.stderr()).toMatch(/INFO \[pipeline\] started: /);
    expect(p.stderr()).toMatch(/INFO \[logpath\] received SIGTERM: stopping/);
    expect(p.stderr()).toMatch(/INFO \[pipeline\] stopped\n$/);
    expect(p.stderr()).not.toMatch(/ERROR|WARN/);
  });

  it('reloads the edited file on SIGHUP', async () => {
    const { dir: d, cli: p } = await start(config({ options: "{ tag: 'v1', everyMs: 10 }" }));
    await until(() => expect(lines(d)).toContain('v1 0'));
    await writeFile(
      join(d, 'logpath.config.ts'),
      config({ options: "{ tag: 'v2', everyMs: 10 }" }),
    );
    p.child.kill('SIGHUP');
    await p.waitForStderr(/INFO \[pipeline\] reloaded$/);
    await until(() => expect(lines(d)).toContain('v2 0'));
    p.child.kill('SIGTERM');
    expect((await p.exited).code).toBe(0);
    expect(p.stderr()).toMatch(/INFO \[logpath\] reloading logpath\.config\.ts/);
  });

  it('keeps running the old config when a reload fails, and logs every problem', async () => {
    const { dir: d, cli: p } = await start(config({ options: "{ tag: 'v1', everyMs: 10 }" }));
    await until(() => expect(lines(d)).toContain('v1 0'));
    const broken = config({
      options: "{ tag: 'v2' }",
      destination: 'nowhere',
      extra: 'stopTimeout: -1,',
    });
    await writeFile(join(d, 'logpath.config.ts'), broken);
    p.child.kill('SIGHUP');
    await p.waitForStderr(
      /ERROR \[logpath\] reload failed, still running the previous config \(2 problems\):$/,
    );
    await p.waitForStderr(
      /ERROR \[logpath\] {3}logPaths\[0\]\.destinations names an unknown destination "nowhere"$/,
    );
    await p.waitForStderr(/ERROR \[logpath\] {3}stopTimeout must be /);
    const before = lines(d).length;
    await until(() => expect(lines(d).length).toBeGreaterThan(before + 2));
    expect(lines(d).every((l) => l.startsWith('v1 '))).toBe(true);
    p.child.kill('SIGTERM');
    expect((await p.exited).code).toBe(0);
    expect(p.stderr()).not.toMatch(/\[pipeline\] reloaded/);
  });

  it('exits at once with code 130 on a second signal while stopping', async () => {
    const text = config({ source: 'StubbornSource', extra: 'stopTimeout: 60000,' });
    const { cli: p } = await start(text);
    await p.waitForStderr(/\[logpath\] running /);
    p.child.kill('SIGINT');
    await p.waitForStderr(/received SIGINT: stopping \(send it again to exit at once\)/);
    p.child.kill('SIGTERM');
    expect(await p.exited).toEqual({ code: 130, signal: null });
    expect(p.stderr()).toMatch(
      /WARN \[logpath\] received SIGTERM again: exiting without finishing the stop/,
    );
    expect(p.stderr()).not.toMatch(/\[pipeline\] stopped/);
  });

  it('exits 1 with the error when startup fails', async () => {
    const text = config({ source: 'FailingSource' });
    const { cli: p } = await start(text);
    expect((await p.exited).code).toBe(1);
    expect(p.stderr()).toMatch(
      /^error: source "a" \(source\.a\): init\(\) failed: boom: no such device$/m,
    );
    expect(p.stderr()).not.toMatch(/\[logpath\] running/);
  });

  it('exits 1 listing every problem of an invalid config, starting nothing', async () => {
    const { dir: d, cli: p } = await start(
      config({ options: '{ count: 1 }', extra: "stopTimeout: 'soon', stateDir: 7," }),
    );
    expect((await p.exited).code).toBe(1);
    const errors = p
      .stderr()
      .split('\n')
      .filter((l) => l.startsWith('error: '));
    expect(errors).toEqual([
      expect.stringMatching(/^error: stopTimeout must be /),
      expect.stringMatching(/^error: stateDir must be /),
    ]);
    expect(lines(d)).toEqual([]);
  });
});

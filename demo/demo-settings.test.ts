import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { DEMO_DEFAULTS, readDemoSettings, resolveFreePort } from './demo-settings.js';

describe('readDemoSettings', () => {
  it('uses the defaults without variables, and each variable over its default', () => {
    expect(readDemoSettings({})).toEqual(DEMO_DEFAULTS);
    expect(
      readDemoSettings({
        LOGPATH_DEMO_HOST: '::1',
        LOGPATH_DEMO_PORT: '0',
        LOGPATH_DEMO_API_PORT: '9001',
        LOGPATH_DEMO_METRICS_PORT: '9002',
        LOGPATH_DEMO_OUT: '/tmp/x',
      }),
    ).toEqual({ host: '::1', port: 0, apiPort: 9001, metricsPort: 9002, outDir: '/tmp/x' });
  });

  it('names the variable holding a port that is not 0–65535', () => {
    expect(() => readDemoSettings({ LOGPATH_DEMO_PORT: '80a' })).toThrow(
      /LOGPATH_DEMO_PORT must be a TCP port 0–65535 \(0: any free port\), got "80a"/,
    );
    expect(() => readDemoSettings({ LOGPATH_DEMO_METRICS_PORT: '70000' })).toThrow(
      /LOGPATH_DEMO_METRICS_PORT/,
    );
  });
});

describe('resolveFreePort', () => {
  it('keeps a fixed port and turns 0 into a port one can listen on', async () => {
    expect(await resolveFreePort('127.0.0.1', 8080)).toBe(8080);
    const port = await resolveFreePort('127.0.0.1', 0);
    expect(port).toBeGreaterThan(0);
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', resolve);
    });
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
});

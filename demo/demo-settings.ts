import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { ConfigError, ErrorCode, showValue } from '@logpath/core';

/** Where the demo listens and writes; see {@link DEMO_ENV} for how to change each. */
export interface DemoSettings {
  /** Interface every demo server listens on. Default `127.0.0.1`. */
  host: string;
  /** Port of the HTTP source and of the WebSocket source, which shares it. Default 8080. */
  port: number;
  /** Port of the small events API the poller reads. Default 8081. */
  apiPort: number;
  /** Port of `/metrics` and `/health`. Default 9464. */
  metricsPort: number;
  /** Folder of the output file and the state (the poller's cursor). Default `demo/out`. */
  outDir: string;
}

/** The environment variable that overrides each setting; a port of 0 picks a free one. */
export const DEMO_ENV = Object.freeze({
  host: 'LOGPATH_DEMO_HOST',
  port: 'LOGPATH_DEMO_PORT',
  apiPort: 'LOGPATH_DEMO_API_PORT',
  metricsPort: 'LOGPATH_DEMO_METRICS_PORT',
  outDir: 'LOGPATH_DEMO_OUT',
} satisfies Record<keyof DemoSettings, string>);

/** Defaults of {@link DemoSettings}. */
export const DEMO_DEFAULTS: Readonly<DemoSettings> = Object.freeze({
  host: '127.0.0.1',
  port: 8080,
  apiPort: 8081,
  metricsPort: 9464,
  outDir: fileURLToPath(new URL('./out', import.meta.url)),
});

function port(env: NodeJS.ProcessEnv, key: 'port' | 'apiPort' | 'metricsPort'): number {
  const text = env[DEMO_ENV[key]];
  if (text === undefined || text === '') return DEMO_DEFAULTS[key];
  const n = Number(text);
  if (!/^\d+$/.test(text) || n > 65535) {
    throw new ConfigError(
      `${DEMO_ENV[key]} must be a TCP port 0–65535 (0: any free port), got ${showValue(text)}`,
      { code: ErrorCode.INVALID_OPTION },
    );
  }
  return n;
}

/**
 * The settings from `env` (the demo's environment variables, {@link DEMO_ENV})
 * over {@link DEMO_DEFAULTS}. Ports of 0 stay 0 here; see {@link resolveFreePort}.
 * @throws ConfigError (ERR_INVALID_OPTION) naming the variable when a port is not 0–65535.
 */
export function readDemoSettings(env: NodeJS.ProcessEnv): DemoSettings {
  return {
    host: env[DEMO_ENV.host] || DEMO_DEFAULTS.host,
    port: port(env, 'port'),
    apiPort: port(env, 'apiPort'),
    metricsPort: port(env, 'metricsPort'),
    outDir: env[DEMO_ENV.outDir] || DEMO_DEFAULTS.outDir,
  };
}

/**
 * `port`, or when it is 0 a port that was free a moment ago on `host`: for
 * servers the demo must name before they listen (the metrics endpoint is
 * opened by the pipeline, which does not report its port to plugins).
 */
export async function resolveFreePort(host: string, port: number): Promise<number> {
  if (port !== 0) return port;
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, resolve);
  });
  const { port: free } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return free;
}

let current: Promise<DemoSettings> | undefined;

/**
 * This process's settings: read from `process.env` once, with a free port
 * named for a metrics port of 0 (the pipeline opens that server itself and
 * does not report its port to plugins). The same at every reload, since this
 * module, unlike the config file, is not evaluated again.
 */
export function processDemoSettings(): Promise<DemoSettings> {
  current ??= (async () => {
    const s = readDemoSettings(process.env);
    return { ...s, metricsPort: await resolveFreePort(s.host, s.metricsPort) };
  })();
  return current;
}

/** What the banner of `npm start` shows. */
export interface DemoBannerInfo {
  /** Bound host and port of the HTTP source (the WebSocket source shares the port). */
  host: string;
  port: number;
  /** Ingest path of the HTTP source, e.g. `/ingest`. */
  httpPath: string;
  /** Path of the WebSocket source, e.g. `/ws`. */
  wsPath: string;
  /** The events API the poller reads. */
  apiUrl: string;
  /** Full URL of the metrics page. */
  metricsUrl: string;
  /** The output file. */
  outFile: string;
}

/** `host:port`, with brackets around an IPv6 host. */
export function hostPort(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** The JSON body of the banner's `curl` line, so that tests post exactly what it shows. */
export const CURL_BODY = '{"message":"hello from curl","user":"alice"}';

/** The banner's `curl` command for the HTTP source at `url`. */
export function curlLine(url: string): string {
  return `curl -sS -X POST ${url} -H 'content-type: application/json' -d '${CURL_BODY}'`;
}

/**
 * The banner printed once the demo listens: where to send data, where the
 * metrics are, and a `curl` line to try. Pure, so a test can read it back.
 */
export function demoBanner(i: DemoBannerInfo): string {
  const base = hostPort(i.host, i.port);
  const http = `http://${base}${i.httpPath}`;
  const metrics = new URL(i.metricsUrl);
  return [
    '',
    'logpath demo: send it data',
    `  HTTP       POST ${http}   (JSON, NDJSON or text lines)`,
    `  WebSocket  ws://${base}${i.wsPath}   (JSON frames; {"id":1,"message":"hi"} is acked with {"ack":1})`,
    `  poller     reads ${i.apiUrl} (a demo API started with the pipeline)`,
    `  metrics    ${i.metricsUrl}   (health: ${metrics.origin}/health)`,
    `  output     ${i.outFile}`,
    '',
    'Try:',
    `  ${curlLine(http)}`,
    '',
    'Ctrl-C stops the demo.',
    '',
  ].join('\n');
}

let shown = false;

/** Writes {@link demoBanner} to stdout the first time only (not again after a reload). */
export function showDemoBannerOnce(info: DemoBannerInfo): void {
  if (shown) return;
  shown = true;
  process.stdout.write(demoBanner(info));
}

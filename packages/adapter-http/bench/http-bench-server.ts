/**
 * One benchmark server per process (started by http-bench.ts over IPC):
 * `bare` is Express 5 reading and splitting the body; `bare-parse` also
 * JSON.parses each line (a reference for the share of JSON parsing);
 * `logpath` is HttpSource → NullDestination, both with default options (as a
 * user gets them: a window of 1000 messages, batches of 100). Sends `{ port }`
 * once listening; on "stop", sends `{ messages, cpuMs, peakRssMiB }` and
 * exits. Runs the built packages (no "@logpath/source" condition), as
 * production would.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import type { AddressInfo } from 'node:net';
import { NullDestination, Pipeline, defineConfig } from '@logpath/core';
import express from 'express';
import { HttpSource } from '@logpath/adapter-http';

const kind = process.argv[2];
const send = (m: unknown): void => void process.send!(m);
let counted: () => number;
let stop: () => Promise<void>;

if (kind === 'bare' || kind === 'bare-parse') {
  const parse = kind === 'bare-parse';
  let messages = 0;
  const app = express();
  app.disable('x-powered-by');
  app.post('/', (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const lines = Buffer.concat(chunks).toString('utf8').split('\n');
      let n = 0;
      for (const line of lines) {
        if (line.length === 0) continue;
        if (parse) JSON.parse(line);
        n++;
      }
      messages += n;
      res.statusCode = 202;
      res.setHeader('content-type', 'application/json; charset=utf-8');
      res.end(`{"accepted":${n}}`);
    });
  });
  const server = app.listen(0, '127.0.0.1', () =>
    send({ port: (server.address() as AddressInfo).port }),
  );
  counted = () => messages;
  stop = () => new Promise((resolve) => server.close(() => resolve()));
} else {
  const pipeline = new Pipeline(
    defineConfig({
      sources: {
        http: { class: HttpSource, options: { host: '127.0.0.1', port: 0 } },
      },
      destinations: { out: { class: NullDestination } },
      logPaths: [{ sources: ['http'], destinations: ['out'] }],
      log: { stderr: false },
    }),
  );
  await pipeline.start();
  const port = await (pipeline.component('http') as HttpSource).whenListening();
  send({ port });
  counted = () => (pipeline.component('out') as NullDestination).count;
  stop = () => pipeline.stop();
}

// CPU time is measured from "reset" (after the warm-up) to "stop": on a shared
// machine it is a steadier cost figure than throughput.
// With HTTP_BENCH_PROFILE=<file prefix>, the measured part is CPU-profiled too.
const profile = process.env.HTTP_BENCH_PROFILE;
const session = profile ? new Session() : undefined;
let cpuStart = process.cpuUsage();
let countStart = 0;
process.on('message', (m) => {
  if (m === 'reset') {
    cpuStart = process.cpuUsage();
    countStart = counted();
    void (async () => {
      if (session) {
        session.connect();
        await session.post('Profiler.enable');
        await session.post('Profiler.start');
      }
      send('reset');
    })();
    return;
  }
  if (m !== 'stop') return;
  const cpu = process.cpuUsage(cpuStart);
  const messages = counted() - countStart;
  void (async () => {
    if (session) {
      const { profile: p } = await session.post('Profiler.stop');
      writeFileSync(`${profile}-${kind}.cpuprofile`, JSON.stringify(p));
    }
    await stop();
  })().then(() => {
    send({
      messages,
      cpuMs: Math.round((cpu.user + cpu.system) / 1000),
      peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
    });
    process.disconnect();
  });
});

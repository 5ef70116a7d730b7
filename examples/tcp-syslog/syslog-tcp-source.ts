/**
 * A server-style source written from scratch: a TCP syslog server on
 * `node:net`. Each connection is framed with RFC 6587 (octet counting and
 * newline framing, see syslog-framing.ts) and each message parsed with
 * `LogMessage.parse` (RFC 5424, falling back to RFC 3164).
 *
 * Flow control: when `postMessage()` returns false (the window `logIwSize` is
 * full because destinations fall behind) the socket is paused, so TCP pushes
 * back on the sender; it is resumed once `waitForWindow()` resolves. Nothing
 * is dropped because the pipeline is busy.
 */
import { createServer, type Server, type Socket } from 'node:net';
import {
  ConfigError,
  ErrorCode,
  LogMessage,
  LogSource,
  checkInt,
  checkString,
  type OptionIssues,
} from '@logpath/core';
import { FramingError, SyslogFramer } from './syslog-framing.js';

export interface SyslogTcpOptions {
  /** TCP port; 0 picks a free one (read `source.port`). Default 601 (RFC 6587's syslog-conn). */
  port?: number;
  /** Interface to listen on. Default `127.0.0.1`. */
  host?: string;
  /** Longest message in bytes; a longer one closes the connection. Default 65536. */
  maxMessageBytes?: number;
}

export const DEFAULT_SYSLOG_TCP_OPTIONS: Readonly<Required<SyslogTcpOptions>> = Object.freeze({
  port: 601,
  host: '127.0.0.1',
  maxMessageBytes: 65_536,
});

export class SyslogTcpSource extends LogSource<SyslogTcpOptions> {
  /** The bound port once listening. */
  port = 0;
  /** Times a socket was paused because the window was full. */
  pauses = 0;
  #options: Required<SyslogTcpOptions> = { ...DEFAULT_SYSLOG_TCP_OPTIONS };
  #server: Server | undefined;
  readonly #sockets = new Set<Socket>();
  #listening: (() => void)[] = [];

  override init(options: SyslogTcpOptions = {}): void {
    const issues: OptionIssues = [];
    const o = { ...DEFAULT_SYSLOG_TCP_OPTIONS, ...options };
    checkInt(issues, 'port', o.port, 0, 65_535);
    checkString(issues, 'host', o.host);
    checkInt(issues, 'maxMessageBytes', o.maxMessageBytes, 1);
    if (issues.length > 0) throw new ConfigError(issues, { code: ErrorCode.INVALID_OPTION });
    this.#options = o;
  }

  /** Resolves with the port once the server listens. */
  whenListening(): Promise<number> {
    if (this.port !== 0) return Promise.resolve(this.port);
    return new Promise((resolve) => this.#listening.push(() => resolve(this.port)));
  }

  override async run(): Promise<void> {
    this.setTransportName('tcp'); // RFC 6587: syslog over TCP
    const server = createServer((socket) => this.#serve(socket));
    this.#server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#options.port, this.#options.host, () => {
        this.port = (server.address() as { port: number }).port;
        for (const notify of this.#listening.splice(0)) notify();
        resolve();
      });
    });
    // Serve until requestExit() closes the server (it waits for the sockets to close).
    await new Promise<void>((resolve) => server.once('close', resolve));
    this.port = 0;
  }

  override requestExit(): void {
    this.#server?.close();
    // Every message already read has been posted: the remaining bytes are the sender's to resend.
    for (const socket of this.#sockets) socket.destroy();
  }

  #serve(socket: Socket): void {
    this.#sockets.add(socket);
    const ip = socket.remoteAddress?.replace(/^::ffff:/, '') ?? '';
    const port = socket.remotePort ?? 0;
    let full = false;
    const framer = new SyslogFramer(this.#options.maxMessageBytes, (frame) => {
      const msg = LogMessage.parse(frame);
      msg.setSourceIpAddress(ip, port);
      if (!this.postMessage(msg)) full = true;
    });
    socket.on('data', (chunk: Buffer) => {
      try {
        framer.push(chunk);
      } catch (err) {
        if (!(err instanceof FramingError)) throw err;
        this.logger.warn(`closing ${ip}:${port}: ${err.message}`);
        socket.destroy();
        return;
      }
      if (full) {
        // The window is full: stop reading this socket until there is room again.
        full = false;
        this.pauses++;
        socket.pause();
        void this.waitForWindow().then(() => socket.resume());
      }
    });
    socket.on('end', () => {
      const lost = framer.end();
      if (lost > 0)
        this.logger.warn(`${ip}:${port} closed in the middle of a message (${lost} bytes)`);
      socket.end();
    });
    socket.on('error', (err) => this.logger.debug(`${ip}:${port}: ${err.message}`));
    socket.on('close', () => this.#sockets.delete(socket));
  }
}

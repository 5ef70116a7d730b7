import type { IncomingMessage } from 'node:http';
import { brotliDecompress, gunzip, inflate, inflateRaw, type ZlibOptions } from 'node:zlib';
import { CLIENT_GONE, HttpError } from './http-error.js';

type Inflater = (
  buf: Buffer,
  options: ZlibOptions,
  cb: (err: Error | null, out: Buffer) => void,
) => void;

/**
 * Reads a whole request body, refusing it (413) as soon as it grows past
 * `maxBytes`. Rejects with {@link CLIENT_GONE} when the client disconnects.
 * @throws HttpError 413 on an oversize body, 500 when middleware already read it.
 */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > maxBytes) {
    return Promise.reject(tooLarge(maxBytes, Number(declared)));
  }
  if (req.readableEnded || (req as { _body?: unknown })._body === true) {
    return Promise.reject(
      new HttpError(
        500,
        'the request body was already read by another middleware (a body parser mounted before the ingest route?)',
      ),
    );
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    // No listener is removed: the request is garbage once answered, and after
    // 'end' only 'close' can still come, which finds `done` set. Without an
    // 'error' listener an aborted request emits none; its 'close' says it all.
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size <= maxBytes) {
        chunks.push(chunk);
        return;
      }
      done = true;
      req.pause();
      reject(tooLarge(maxBytes));
    });
    req.on('end', () => {
      if (done) return;
      done = true;
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    });
    req.on('close', () => {
      if (done) return;
      done = true;
      reject(CLIENT_GONE);
    });
  });
}

function tooLarge(maxBytes: number, declared?: number): HttpError {
  return new HttpError(
    413,
    `the body exceeds maxBodyBytes (${maxBytes} bytes)`,
    declared === undefined
      ? { maxBodyBytes: maxBytes }
      : { maxBodyBytes: maxBytes, contentLength: declared },
    true,
  );
}

/** The zlib function for a Content-Encoding; `undefined` for identity; `null` when unsupported. */
export function inflaterFor(encoding: string | undefined): Inflater | undefined | null {
  if (encoding === undefined) return undefined;
  switch (encoding.trim().toLowerCase()) {
    case '':
    case 'identity':
      return undefined;
    case 'gzip':
    case 'x-gzip':
      return gunzip;
    case 'deflate':
      return inflateEither;
    case 'br':
      return brotliDecompress;
    default:
      return null;
  }
}

/** `deflate` should be zlib-wrapped, but some clients send raw deflate: accept both. */
const inflateEither: Inflater = (buf, options, cb) => {
  const b0 = buf[0] ?? 0;
  const zlibHeader = buf.length >= 2 && (b0 & 0x0f) === 8 && ((b0 << 8) | buf[1]!) % 31 === 0;
  (zlibHeader ? inflate : inflateRaw)(buf, options, cb);
};

/**
 * Decompresses a body. The output is capped at `maxBytes` while inflating,
 * so a small bomb never expands in memory.
 * @throws HttpError 413 past the cap, 400 on corrupt data.
 */
export function decompress(
  buf: Buffer,
  inflater: Inflater,
  encoding: string,
  maxBytes: number,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    inflater(buf, { maxOutputLength: maxBytes }, (err, out) => {
      if (err === null) return resolve(out);
      if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
        reject(
          new HttpError(413, `the decompressed body exceeds maxBodyBytes (${maxBytes} bytes)`, {
            maxBodyBytes: maxBytes,
          }),
        );
      } else {
        reject(
          new HttpError(400, `the ${encoding} body could not be decompressed: ${err.message}`),
        );
      }
    });
  });
}

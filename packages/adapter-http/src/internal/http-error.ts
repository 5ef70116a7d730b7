/**
 * A request the source refuses: becomes a JSON answer
 * `{ "error": message, ...details }` with `status`.
 */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly details?: Readonly<Record<string, unknown>>,
    /** Close the connection after answering: the rest of the body is not worth reading. */
    readonly closeConnection = false,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/** Error of a request whose client went away: nobody is left to answer. */
export const CLIENT_GONE = new HttpError(
  499,
  'the client closed the connection before the body was complete',
);

/**
 * The acknowledgement protocol spoken back to clients. Replies are text
 * frames holding one JSON object:
 *
 * - `{"ack":ID}` / `{"nack":ID,"reason":"…","retry":bool}`: one message that
 *   carried an id (ack mode `message`, JSON formats).
 * - `{"ack":ID|null,"frame":N}` / `{"nack":ID|null,"frame":N,"reason":"…","retry":bool}`:
 *   the whole N-th data frame of the connection (1-based), with the id of its
 *   last message that had one. Frame replies go out in frame order.
 *
 * `retry: true` means the server did not deliver it but resending may work
 * (the pipeline stopped first); `false` means resending the same data will
 * fail again (malformed, refused, or dropped by a destination).
 *
 * Bookmarks: a message with its own id gets a {@link MessageAck}; the messages
 * of a frame acked as a whole share one {@link FrameAck}, so the per-message
 * cost is one counter update.
 */
import type { AckStatus } from '@logpath/core';
import type { MessageId } from './frame-parser.js';

/** Where settled acks go: the connection that received the data. */
export interface AckSink {
  messageSettled(ack: MessageAck, status: AckStatus): void;
  frameSettled(frame: FrameAck): void;
}

/** A bookmark whose delivery report is sent back to a client. */
export interface AckBookmark {
  settle(status: AckStatus): void;
}

/** Bookmark of messages nobody waits for (no id in a frame acked per message). */
export const NO_ACK: AckBookmark = Object.freeze({ settle(): void {} });

/** Bookmark of one message that carried an id. */
export class MessageAck implements AckBookmark {
  constructor(
    readonly sink: AckSink,
    readonly id: MessageId,
  ) {}

  settle(status: AckStatus): void {
    this.sink.messageSettled(this, status);
  }
}

/** Worst outcome of a frame so far; higher wins. */
export const FRAME_DELIVERED = 0;
export const FRAME_DROPPED = 1;
export const FRAME_ABORTED = 2;
export const FRAME_REJECTED = 3;

/** Bookmark shared by every message of one frame. */
export class FrameAck implements AckBookmark {
  /** Messages of the frame not yet settled. */
  pending = 0;
  worst = FRAME_DELIVERED;
  /** Set when the frame was refused before posting. */
  reason: string | undefined = undefined;
  done = false;

  constructor(
    readonly sink: AckSink,
    /** 1-based number of the data frame on its connection. */
    readonly seq: number,
    /** Id of the frame's last message that had one. */
    readonly lastId: MessageId | undefined,
  ) {}

  settle(status: AckStatus): void {
    const s =
      status === 'delivered'
        ? FRAME_DELIVERED
        : status === 'dropped'
          ? FRAME_DROPPED
          : FRAME_ABORTED;
    if (s > this.worst) this.worst = s;
    if (--this.pending === 0) {
      this.done = true;
      this.sink.frameSettled(this);
    }
  }
}

const REASON_DROPPED = 'dropped by the pipeline (a destination gave up on it)';
const REASON_ABORTED = 'not delivered: the pipeline stopped first';

function idJson(id: MessageId | undefined): string {
  return id === undefined ? 'null' : JSON.stringify(id);
}

/** The reply for one message with an id. */
export function encodeMessageReply(id: MessageId, status: AckStatus): string {
  if (status === 'delivered') return `{"ack":${idJson(id)}}`;
  const reason = status === 'dropped' ? REASON_DROPPED : REASON_ABORTED;
  return `{"nack":${idJson(id)},"reason":${JSON.stringify(reason)},"retry":${status === 'aborted'}}`;
}

/** The reply for a whole frame. */
export function encodeFrameReply(frame: FrameAck): string {
  const id = idJson(frame.lastId);
  if (frame.worst === FRAME_DELIVERED) return `{"ack":${id},"frame":${frame.seq}}`;
  const reason =
    frame.worst === FRAME_REJECTED
      ? (frame.reason ?? 'rejected')
      : frame.worst === FRAME_DROPPED
        ? REASON_DROPPED
        : REASON_ABORTED;
  return `{"nack":${id},"frame":${frame.seq},"reason":${JSON.stringify(reason)},"retry":${frame.worst === FRAME_ABORTED}}`;
}

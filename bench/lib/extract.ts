/** @module Cheap reads from raw frames (no JSON.parse): the payload's seq and ts, presence user ids, pings. */

// Works whether `data` arrives JSON-encoded in a string (`\"seq\":1`, as Pusher servers send API events) or as an
// object (`"seq":1`, client events).

const SEQ = Buffer.from("seq");
const USER_ID = Buffer.from("user_id");
const PING = Buffer.from("pusher:ping");
const DIGIT_0 = 48;
const DOT = 46;

/** The payload's benchmark data: `{"seq":N,"ts":MS,"pad":"…"}` (ts = performance.timeOrigin + performance.now()). */
export function payload(seq: number, padding: string): string {
  return `{"seq":${seq},"ts":${performance.timeOrigin + performance.now()},"pad":"${padding}"}`;
}

/** Padding that makes `payload()` about `size` characters long. */
export function padding(size: number): string {
  return "x".repeat(Math.max(0, size - payload(0, "").length));
}

/** The `ts` read by the last successful `readSeq`. */
export let lastTs = 0;

/** The frame's `seq` (and sets `lastTs`), or -1 when the frame carries no benchmark payload. */
export function readSeq(frame: Buffer): number {
  const at = frame.indexOf(SEQ);
  if (at < 0) return -1;
  let i = skipToDigit(frame, at + 3);
  if (i < 0) return -1;
  let seq = 0;
  for (let c = frame[i]!; c >= DIGIT_0 && c <= DIGIT_0 + 9; c = frame[++i]!) seq = seq * 10 + c - DIGIT_0;
  i = skipToDigit(frame, i + 4); // past `,"ts` or `,\"ts`
  if (i < 0) return -1;
  let whole = 0;
  let c = frame[i]!;
  for (; c >= DIGIT_0 && c <= DIGIT_0 + 9; c = frame[++i]!) whole = whole * 10 + c - DIGIT_0;
  if (c === DOT) {
    let scale = 1;
    let fraction = 0;
    for (c = frame[++i]!; c >= DIGIT_0 && c <= DIGIT_0 + 9 && scale < 1e9; c = frame[++i]!) {
      fraction = fraction * 10 + c - DIGIT_0;
      scale *= 10;
    }
    whole += fraction / scale;
  }
  lastTs = whole;
  return seq;
}

/** The number in a presence frame's `user_id` (ids are `u<N>`), or -1. */
export function readUserNumber(frame: Buffer): number {
  const at = frame.indexOf(USER_ID);
  if (at < 0) return -1;
  let i = skipToDigit(frame, at + 7);
  if (i < 0) return -1;
  let n = 0;
  for (let c = frame[i]!; c >= DIGIT_0 && c <= DIGIT_0 + 9; c = frame[++i]!) n = n * 10 + c - DIGIT_0;
  return n;
}

/** Whether a (short) frame is the server's `pusher:ping`. */
export function isPing(frame: Buffer): boolean {
  return frame.length < 100 && frame.indexOf(PING) >= 0;
}

/** Index of the first digit within 8 bytes after `from`, or -1. */
function skipToDigit(frame: Buffer, from: number): number {
  const end = Math.min(frame.length, from + 8);
  for (let i = from; i < end; i++) {
    const c = frame[i]!;
    if (c >= DIGIT_0 && c <= DIGIT_0 + 9) return i;
  }
  return -1;
}

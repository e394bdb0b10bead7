/** @module A raw Pusher client on `ws`: parsed control frames while connecting, then raw Buffers to a scenario's hot handler. */

import WebSocket from "ws";
import { isPing } from "./extract.ts";

const PONG = '{"event":"pusher:pong","data":{}}';

interface Waiter {
  match(frame: { event?: string; channel?: string }): boolean;
  resolve(frame: Record<string, unknown>): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

export type HotHandler = (client: Client, frame: Buffer) => void;

export class Client {
  readonly ws: WebSocket;
  socketId = "";
  /** Raw frame handler once the scenario takes over; undefined while connecting (control frames are parsed). */
  hot: HotHandler | undefined;
  /** Set when the socket closed before the scenario closed it. */
  closedEarly = false;
  /** Code and reason of an early close. */
  closeInfo = "";
  private waiter: Waiter | undefined;
  private closing = false;

  readonly index: number;

  constructor(url: string, index: number) {
    this.index = index;
    this.ws = new WebSocket(url, { perMessageDeflate: false, skipUTF8Validation: true, handshakeTimeout: 30_000 });
    this.ws.on("message", (data: Buffer) => {
      if (this.hot) this.hot(this, data);
      else this.control(data);
    });
    this.ws.on("error", (error) => this.fail(error));
    this.ws.on("close", (code, reason) => {
      if (!this.closing) {
        this.closedEarly = true;
        this.closeInfo = `${code} ${reason.toString()}`;
      }
      this.fail(new Error(`closed ${code} ${reason.toString()}`));
    });
  }

  /** Resolves with the socket id once connection_established arrived. */
  async established(timeoutMs = 30_000): Promise<string> {
    const frame = await this.expect((f) => f.event === "pusher:connection_established", timeoutMs);
    this.socketId = (JSON.parse(frame["data"] as string) as { socket_id: string }).socket_id;
    return this.socketId;
  }

  /** Subscribes and resolves with subscription_succeeded (rejects on pusher:error or timeout). */
  subscribe(channel: string, auth?: string, channelData?: string, timeoutMs = 30_000): Promise<Record<string, unknown>> {
    const waiting = this.expect((f) => f.event === "pusher_internal:subscription_succeeded" && f.channel === channel, timeoutMs);
    this.send(subscribeFrame(channel, auth, channelData));
    return waiting;
  }

  send(text: string): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(text);
  }

  /** Answers a pusher:ping (call from hot handlers for frames that are not the scenario's). */
  pongIfPing(frame: Buffer): void {
    if (isPing(frame)) this.send(PONG);
  }

  /** Closes without a handshake (the benchmark is over). */
  terminate(): void {
    this.closing = true;
    this.ws.terminate();
  }

  private expect(match: Waiter["match"], timeoutMs: number): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.fail(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
      this.waiter = { match, resolve, reject, timer };
    });
  }

  private control(data: Buffer): void {
    let frame: Record<string, unknown>;
    try {
      frame = JSON.parse(data.toString()) as Record<string, unknown>;
    } catch {
      return this.fail(new Error(`not JSON: ${data.toString().slice(0, 200)}`));
    }
    if (frame["event"] === "pusher:ping") return this.send(PONG);
    if (frame["event"] === "pusher:error") return this.fail(new Error(`pusher:error ${String(frame["data"])}`));
    const waiter = this.waiter;
    if (waiter?.match(frame)) {
      this.waiter = undefined;
      clearTimeout(waiter.timer);
      waiter.resolve(frame);
    }
  }

  private fail(error: Error): void {
    const waiter = this.waiter;
    if (!waiter) return;
    this.waiter = undefined;
    clearTimeout(waiter.timer);
    waiter.reject(error);
  }
}

/** The pusher:subscribe frame. */
export function subscribeFrame(channel: string, auth?: string, channelData?: string): string {
  const data: Record<string, string> = { channel };
  if (auth !== undefined) data["auth"] = auth;
  if (channelData !== undefined) data["channel_data"] = channelData;
  return JSON.stringify({ event: "pusher:subscribe", data });
}

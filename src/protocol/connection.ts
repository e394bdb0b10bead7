/** @module One client connection: lifecycle (open, message, control, close) and the single catch for protocol errors. */

import type { App } from "../apps/app.ts";
import type { Channel, Subscriber } from "../channels/channel.ts";
import { DEFAULT_APP } from "../config/config.ts";
import { PUSHER_ERRORS, PusherError, type PusherErrorName } from "../errors.ts";
import { allowMessage, type RateWindow } from "../limits/rate-limit.ts";
import { type ChannelSet, channelList } from "./connection-channels.ts";
import { connectionEstablished, errorFrame } from "./frames.ts";
import { utf8Length } from "../events/lifecycle.ts";
import { handleMessage } from "./handle-message.ts";
import type { AppState, Hub } from "./hub.ts";
import { isOriginAllowed } from "./origin.ts";
import type { Socket, WebSocketSession } from "./socket.ts";
import { leaveChannel } from "./subscriptions.ts";

const decoder = new TextDecoder();

/** Close code and reason for messages over max_message_size (RFC 6455 1009, Reverb's wording). */
export const MESSAGE_TOO_BIG = { code: 1009, reason: "Maximum message size exceeded" } as const;

/**
 * Message size limit of a connection to an unknown app key. It is closed (4001) as soon as it opens, so nothing it
 * sends is read; the limit only has to be finite and tiny so no runtime buffers a large frame for it meanwhile.
 */
export const UNKNOWN_APP_MESSAGE_LIMIT = 1;

/** A connection's signed-in user: its id, the ids it watches, and the user_data as the app server signed it. */
export interface SignedInUser {
  readonly id: string;
  readonly watchlist: readonly string[];
  readonly userData: string;
}

/** Bits of Connection.status. */
const CLOSED = 1;
const CONTROL_FRAMES = 2;

/**
 * A WebSocket client of one app. Created at upgrade; registered with its app once open succeeds.
 *
 * Memory: one of these lives as long as its client, so it keeps twelve fields, which puts it in the engines' 112-byte
 * size class (Bun's next is 160): per-app values are read through `state.app`, flags share one number, the rate-limit
 * window exists only for apps that limit, and the close code travels as an argument instead of a field.
 */
export class Connection implements WebSocketSession, Subscriber {
  readonly hub: Hub;
  /** The app's state on this node; undefined for an unknown app key. Registered (given a socket id) only once open. */
  readonly state: AppState | undefined;
  /** The handshake's Origin header, until open has checked and reported it (then null: not kept per connection). */
  private origin: string | null;
  socketId = "";
  socket: Socket | undefined;
  /** Channels this connection is subscribed to, by name. */
  channels: ChannelSet<Channel<Connection>> = undefined;
  /** Last time (ms) any frame arrived; the heartbeat pings after `ping_interval` of silence. */
  lastSeenAt = 0;
  /** When the heartbeat pinged (ms), 0 when not waiting for a reply. */
  pingedAt = 0;
  /** When the connection was accepted (ms), for the sign-in deadline. */
  openedAt = 0;
  /** CLOSED and CONTROL_FRAMES bits. */
  private status = 0;
  /** The user this connection signed in as (pusher:signin), if any. */
  user: SignedInUser | undefined;
  /** The message-rate window, made on the first message when the app limits message rates. */
  private rateWindow: RateWindow | undefined;

  constructor(hub: Hub, app: App | undefined, origin: string | null) {
    this.hub = hub;
    this.state = app && hub.state(app);
    this.origin = origin;
  }

  get app(): App | undefined {
    return this.state?.app;
  }

  /** Largest message the runtime should accept (the app's max_message_size; 1 byte for an unknown app key). */
  get maxMessageSize(): number {
    return this.state?.app.maxMessageSize ?? UNKNOWN_APP_MESSAGE_LIMIT;
  }

  /** Whether the connection is closed (by either side). */
  get isClosed(): boolean {
    return (this.status & CLOSED) !== 0;
  }

  /** Set once the client sent a ping/pong control frame; the heartbeat then pings with control frames too. */
  get usesControlFrames(): boolean {
    return (this.status & CONTROL_FRAMES) !== 0;
  }

  open(socket: Socket): void {
    this.socket = socket;
    const state = this.state;
    const origin = this.origin;
    this.origin = null;
    if (!state) return this.fail("appNotFound");
    // Deno.serve keeps accepting while shutdown waits for closing handshakes; such late clients must go elsewhere too.
    if (this.hub.shuttingDown) return this.fail("shuttingDown");
    const app = state.app;
    if (app.maxConnections !== null && state.connections.size >= app.maxConnections) return this.fail("overQuota");
    if (!isOriginAllowed(app.allowedOrigins, origin)) return this.fail("originNotAllowed");
    this.socketId = this.hub.register(this, state);
    this.lastSeenAt = this.openedAt = this.hub.clock.now();
    this.send(connectionEstablished(this.socketId, app.activityTimeout));
    const events = this.hub.events;
    if (events.wants("connectionOpened")) events.emit("connectionOpened", { app, socketId: this.socketId, origin });
  }

  message(data: string | ArrayBuffer | ArrayBufferView): void {
    const state = this.state;
    if (this.status & CLOSED || !state || this.socketId === "") return;
    const app = state.app;
    const text = typeof data === "string" ? data : decoder.decode(data);
    if (exceedsBytes(text, data, app.maxMessageSize)) {
      this.close(MESSAGE_TOO_BIG.code, MESSAGE_TOO_BIG.reason);
      return;
    }
    const now = this.hub.clock.now();
    this.touch(now);
    const events = this.hub.events;
    if (events.wants("messageReceived")) {
      const bytes = typeof data === "string" ? utf8Length(text) : data.byteLength;
      events.emit("messageReceived", { app, socketId: this.socketId, text, bytes });
    }
    if (app.rateLimiting && !allowMessage((this.rateWindow ??= { windowStartedAt: 0, messagesInWindow: 0 }), app.rateLimiting, now)) {
      if (events.wants("rateLimited")) events.emit("rateLimited", { app, socketId: this.socketId });
      return this.fail("rateLimited", app.rateLimiting.terminateOnLimit);
    }
    try {
      handleMessage(this, app, state, text);
    } catch (error) {
      if (error instanceof PusherError) return this.fail(error.errorName, false, error.detail);
      this.hub.logger.error(`Message from ${this.socketId} failed: ${describe(error)}`);
      this.fail("invalidMessage");
    }
  }

  control(_kind: "ping" | "pong"): void {
    this.status |= CONTROL_FRAMES;
    this.touch(this.hub.clock.now());
  }

  /** The transport closed: leave every channel and forget the connection. Idempotent. */
  closed(): void {
    this.release(undefined);
  }

  /** Leaves every channel and forgets the connection; `code` is the close code the server sent, if it closed it. */
  private release(code: number | undefined): void {
    if (this.status & CLOSED) return;
    this.status |= CLOSED;
    for (const channel of channelList(this.channels)) leaveChannel(this, channel);
    const state = this.state;
    if (!state || this.socketId === "") return; // refused at open: it never counted as a connection
    if (this.user) this.hub.watchlists.unwatch(this, state.app, this.user.watchlist);
    this.hub.unregister(this, state);
    const events = this.hub.events;
    if (events.wants("connectionClosed")) events.emit("connectionClosed", { app: state.app, socketId: this.socketId, code });
  }

  /** Sends a frame to this connection alone (a reply, an error, a ping) and reports it as sent. */
  send(frame: string): void {
    if (this.isClosed || !this.socket) return;
    this.deliver(frame);
    const events = this.hub.events;
    if (this.app && events.wants("messageSent")) {
      events.emit("messageSent", { app: this.app, frame, count: 1, bytes: utf8Length(frame), channel: undefined, socketId: this.socketId });
    }
  }

  /** Queues a frame; a client that has stopped reading is closed with 4100 once it stays past its limit (SlowClients). */
  deliver(frame: string): void {
    const socket = this.socket;
    if (this.isClosed || !socket) return;
    socket.send(frame);
    if (!this.withinBacklog()) this.checkBacklog(); // the rare path stays out of this one, which fan-out inlines
  }

  withinBacklog(): boolean {
    return this.socket!.getBufferedAmount() <= (this.state?.app.maxBacklogBytes ?? DEFAULT_APP.maxBacklogBytes);
  }

  checkBacklog(): void {
    const unsent = this.socket!.getBufferedAmount();
    const limit = this.state?.app.maxBacklogBytes ?? DEFAULT_APP.maxBacklogBytes;
    if (unsent > limit) this.hub.slowClients.over(this, unsent, limit);
  }

  /**
   * The client stopped taking its messages: closed with 4100 behind everything already queued, so what it got is a
   * gap-free prefix and pusher-js reconnects with backoff and resubscribes. Nothing more is queued for it.
   */
  overCapacity(): void {
    const socket = this.socket;
    if (this.isClosed || !socket) return;
    const events = this.hub.events;
    if (this.app && events.wants("overCapacity")) {
      events.emit("overCapacity", { app: this.app, socketId: this.socketId, unsentBytes: socket.getBufferedAmount() });
    }
    socket.send(errorFrame("overCapacity"));
    const { code, message } = PUSHER_ERRORS.overCapacity;
    this.close(code, message);
  }

  /** Sends the error frame; for fatal errors (or when `terminate`), then closes with the error's code. */
  fail(name: PusherErrorName, terminate = false, detail?: string): void {
    const { code, message, close } = PUSHER_ERRORS[name];
    if (this.isClosed) return;
    const events = this.hub.events;
    if (events.wants("errorSent")) events.emit("errorSent", { app: this.app, socketId: this.socketId, code, message: detail ?? message });
    this.send(errorFrame(name, detail));
    if (close || terminate) this.close(code, message);
  }

  /** Server-initiated close: the socket is told to close and the connection is cleaned up at once. */
  close(code: number, reason: string): void {
    if (this.isClosed) return;
    // Released first: some runtimes (Bun) report the close back synchronously from socket.close, without the code.
    const socket = this.socket;
    this.release(code);
    socket?.close(code, reason);
  }

  private touch(now: number): void {
    this.lastSeenAt = now;
    this.pingedAt = 0;
  }
}

/** Whether a message is over `limit` UTF-8 bytes, without encoding it when the length settles the question. */
function exceedsBytes(text: string, data: string | ArrayBuffer | ArrayBufferView, limit: number): boolean {
  if (typeof data !== "string") return data.byteLength > limit;
  if (text.length > limit) return true; // every UTF-16 unit is at least one UTF-8 byte
  if (text.length * 3 <= limit) return false; // and at most three
  return new TextEncoder().encode(text).length > limit;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

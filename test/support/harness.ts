/** @module In-process test harness: a real core with a fake clock, driven through fake sockets. */

import type { App } from "../../src/apps/app.ts";
import type { Topics } from "../../src/channels/channel.ts";
import { channelSignature } from "../../src/protocol/channel-auth.ts";
import type { Connection } from "../../src/protocol/connection.ts";
import type { Socket } from "../../src/protocol/socket.ts";
import { createServer, type ResoundServer } from "../../src/server.ts";
import { FakeClock } from "./fake-clock.ts";
import { APP_A, FIXTURE_APPS } from "./fixtures.ts";

/** A decoded outbound frame; `data` is decoded too when it is a JSON string, `raw` is the exact text. */
export interface Frame {
  event: string;
  data?: unknown;
  channel?: string;
  user_id?: unknown;
  raw: string;
}

/**
 * Records what the core sends; closing is recorded, not enacted (the core cleans up by itself). A `stalled`
 * socket plays a client that stopped reading: what it is sent counts as unsent bytes until `drain()`.
 */
export class FakeSocket implements Socket {
  readonly sent: string[] = [];
  closedWith: { code: number; reason: string } | undefined;
  pings = 0;
  stalled = false;
  unsent = 0;
  /** How often the core read the unsent byte count. */
  checks = 0;
  send(frame: string): void {
    this.sent.push(frame);
    if (this.stalled) this.unsent += frame.length;
  }
  getBufferedAmount(): number {
    this.checks++;
    return this.unsent;
  }
  drain(): void {
    this.unsent = 0;
  }
  close(code: number, reason: string): void {
    this.closedWith ??= { code, reason };
  }
  ping(): void {
    this.pings++;
  }
}

/** One simulated client. */
export class TestClient {
  readonly socket = new FakeSocket();
  readonly connection: Connection;
  private read = 0;

  constructor(connection: Connection) {
    this.connection = connection;
    connection.open(this.socket);
  }

  get socketId(): string {
    return this.connection.socketId;
  }

  /** Sends an object (as JSON) or raw text. */
  send(message: unknown): void {
    this.connection.message(typeof message === "string" ? message : JSON.stringify(message));
  }

  /** Frames received since the last call. */
  take(): Frame[] {
    const frames = this.socket.sent.slice(this.read).map(decode);
    this.read = this.socket.sent.length;
    return frames;
  }

  /** Raw frames received since the last call. */
  takeRaw(): string[] {
    const frames = this.socket.sent.slice(this.read);
    this.read = this.socket.sent.length;
    return frames;
  }

  /** Subscribes, signing for private and presence channels (unless `auth` is given), and returns the replies. */
  subscribe(channel: string, options: { channelData?: unknown; auth?: string | null } = {}): Frame[] {
    const channelData = options.channelData === undefined ? undefined : JSON.stringify(options.channelData);
    const app = this.connection.app!;
    const auth = options.auth !== undefined ? options.auth : validAuth(app, this.socketId, channel, channelData);
    this.send({ event: "pusher:subscribe", data: { channel, auth, ...(channelData && { channel_data: channelData }) } });
    return this.take();
  }

  /** The transport closed. */
  disconnect(): void {
    this.connection.closed();
  }
}

/** `key:signature` for a subscription, as a Laravel app's /broadcasting/auth would return. */
export function validAuth(app: App, socketId: string, channel: string, channelData?: string): string {
  return `${app.key}:${channelSignature(app, socketId, channel, channelData)}`;
}

function decode(raw: string): Frame {
  const frame = JSON.parse(raw) as Frame;
  if (typeof frame.data === "string") {
    try {
      frame.data = JSON.parse(frame.data);
    } catch {
      // leave non-JSON string data as is
    }
  }
  return { ...frame, raw };
}

/**
 * Native topic pub/sub as Bun offers it: one publish reaches every subscriber of a topic (but the sender), and
 * says only whether some recipient was left with unsent data (false), not which.
 */
export class FakeTopics implements Topics<Connection> {
  readonly members = new Map<string, Set<Connection>>();
  publishes = 0;
  subscribe(connection: Connection, topic: string): void {
    let set = this.members.get(topic);
    if (!set) this.members.set(topic, (set = new Set()));
    set.add(connection);
  }
  unsubscribe(connection: Connection, topic: string): void {
    this.members.get(topic)?.delete(connection);
  }
  publish(topic: string, frame: string, except: Connection | undefined): boolean {
    this.publishes++;
    let clean = true;
    for (const connection of this.members.get(topic) ?? []) {
      if (connection === except || connection.isClosed) continue;
      const socket = connection.socket as FakeSocket;
      socket.send(frame);
      if (socket.unsent > 0) clean = false;
    }
    return clean;
  }
}

/** A core on a fake clock with deterministic socket ids. */
export function createTestCore(options: { apps?: App[]; path?: string; maxRequestSize?: number; topics?: Topics<Connection>; dashboardToken?: string } = {}) {
  const clock = new FakeClock();
  let next = 1;
  const core: ResoundServer = createServer({
    apps: options.apps ?? FIXTURE_APPS,
    clock,
    randomInt: () => next++,
    ...(options.path !== undefined && { path: options.path }),
    ...(options.maxRequestSize !== undefined && { maxRequestSize: options.maxRequestSize }),
    ...(options.topics && { topics: options.topics }),
    ...(options.dashboardToken !== undefined && { dashboardToken: options.dashboardToken }),
  });
  return {
    core,
    clock,
    /** Opens a connection for `app` (by key), optionally with an Origin header. */
    connect(app: App | string = APP_A, origin: string | null = null): TestClient {
      const key = typeof app === "string" ? app : app.key;
      return new TestClient(core.hub.session(key, origin));
    },
  };
}

/** @module Black-box setup shared by test/e2e: a real server with Reverb's fixture apps (plus extras), and real clients. */

import Pusher from "pusher";
import PusherJsModule, { type Options as PusherClientOptions } from "pusher-js";
import { FIXTURE_APPS, fixtureConfigFile } from "./fixtures.ts";
import { type RunningServer, type RuntimeName, startServer, tempDir, writeFile } from "./spawn.ts";

/**
 * The pusher-js client class. Its CommonJS export is the class itself (what `import Pusher from "pusher-js"`
 * gives at run time), but its typings read as `{ default: Pusher }` under NodeNext, hence the cast.
 */
export const PusherClient = PusherJsModule as unknown as typeof PusherJsModule.default;
export type PusherClient = InstanceType<typeof PusherJsModule.default>;

/** An app entry as written in the --config file (Reverb's config/reverb.php keys). */
export interface AppEntry {
  app_id: string;
  key: string;
  secret: string;
  [key: string]: unknown;
}

/** Reverb's apps A/B/C plus `extraApps`, as a --config file in a fresh temp dir; returns its path. */
export function writeConfig(extraApps: AppEntry[] = [], server: Record<string, unknown> = {}): string {
  const config = JSON.parse(fixtureConfigFile()) as { apps: unknown[]; server?: unknown };
  config.apps.push(...extraApps);
  if (Object.keys(server).length > 0) config.server = server;
  return writeFile(tempDir(), "reverb.json", JSON.stringify(config));
}

export interface E2eServer {
  readonly server: RunningServer;
  readonly port: number;
  /** `ws://127.0.0.1:<port>/app/<key>` (with the optional `prefix`, e.g. "/ws"). */
  wsUrl(key: string, prefix?: string): string;
  /** `http://127.0.0.1:<port><path>` */
  httpUrl(path: string): string;
  stop(): ReturnType<RunningServer["stop"]>;
}

/** Starts the real CLI on `runtime` with the fixture apps and `extraApps`. */
export async function startE2eServer(runtime: RuntimeName, extraApps: AppEntry[] = [], args: string[] = []): Promise<E2eServer> {
  const server = await startServer(runtime, { args: ["--config", writeConfig(extraApps), ...args] });
  return {
    server,
    port: server.port,
    wsUrl: (key, prefix = "") => `ws://127.0.0.1:${server.port}${prefix}/app/${key}`,
    httpUrl: (path) => `http://127.0.0.1:${server.port}${path}`,
    stop: () => server.stop(),
  };
}

/** Credentials of a fixture app (A by default) or any app entry. */
export function credentials(app: { id: string; key: string; secret: string } | AppEntry = FIXTURE_APPS[0]!) {
  return "app_id" in app ? { appId: app.app_id, key: app.key, secret: app.secret } : { appId: app.id, key: app.key, secret: app.secret };
}

/** The `pusher` server SDK pointed at the test server, as a Laravel app would configure it. */
export function serverSdk(port: number, app = credentials(), extra: Partial<Pusher.BaseOptions> = {}): Pusher {
  return new Pusher({ ...app, host: "127.0.0.1", port: String(port), useTLS: false, ...extra });
}

/** A pusher-js client for `key` on the test server (ws only, no stats); connects at once. */
export function pusherClient(port: number, key: string, options: Partial<PusherClientOptions> = {}): PusherClient {
  const client = new PusherClient(key, {
    cluster: "mt1",
    wsHost: "127.0.0.1",
    wsPort: port,
    forceTLS: false,
    enabledTransports: ["ws"],
    disableStats: true,
    ...options,
  });
  client.connection.bind("connected", () => ignoreCloseAfterClosed(client));
  return client;
}

/**
 * Works around a client-side leak: when the server closes a pusher-js connection with a 4000–4099 code,
 * pusher-js closes its (already closed) faye-websocket again, and faye then arms a 30 s close-handshake
 * timer that is never cleared, keeping the test process alive. A second close of a closed socket is a no-op.
 */
function ignoreCloseAfterClosed(client: PusherClient): void {
  type FayeSocket = { readyState: number; close(...args: unknown[]): void };
  const internals = client.connection as unknown as { connection?: { transport?: { socket?: FayeSocket } } };
  const socket = internals.connection?.transport?.socket;
  if (!socket || typeof socket.close !== "function") return;
  const close = socket.close;
  const CLOSED = 3;
  socket.close = function (this: FayeSocket, ...args: unknown[]) {
    if (this.readyState !== CLOSED) close.apply(this, args);
  };
}

/** Resolves once the client is connected; rejects on failure or after `timeoutMs`. */
export function connected(client: PusherClient, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    if (client.connection.state === "connected") return resolve(client.connection.socket_id);
    const timer = setTimeout(() => reject(new Error(`pusher-js not connected after ${timeoutMs} ms (state ${client.connection.state})`)), timeoutMs);
    client.connection.bind("connected", () => {
      clearTimeout(timer);
      resolve(client.connection.socket_id);
    });
    client.connection.bind("failed", () => {
      clearTimeout(timer);
      reject(new Error("pusher-js connection failed"));
    });
  });
}

/**
 * Resolves with the first `count` callbacks of `event` bound on `target` (a channel or a client), as
 * `[data, metadata]` pairs; rejects after `timeoutMs` naming what was missing.
 */
export function nextEvents(
  target: { bind(event: string, callback: (data: any, metadata?: any) => void): unknown; unbind(event: string, callback: (data: any, metadata?: any) => void): unknown },
  event: string,
  count = 1,
  timeoutMs = 3000,
): Promise<Array<[data: any, metadata: any]>> {
  return new Promise((resolve, reject) => {
    const received: Array<[any, any]> = [];
    const callback = (data: any, metadata?: any) => {
      received.push([data, metadata]);
      if (received.length === count) {
        clearTimeout(timer);
        target.unbind(event, callback);
        resolve(received);
      }
    };
    const timer = setTimeout(() => {
      target.unbind(event, callback);
      reject(new Error(`expected ${count} "${event}" event(s) within ${timeoutMs} ms, got ${received.length}`));
    }, timeoutMs);
    target.bind(event, callback);
  });
}

/** Resolves with the data of the next `event` on `target`. */
export async function nextEvent(
  target: Parameters<typeof nextEvents>[0],
  event: string,
  timeoutMs = 3000,
): Promise<any> {
  const [[data]] = (await nextEvents(target, event, 1, timeoutMs)) as [[any, any]];
  return data;
}

/** Collects every `event` on `target` into an array (for asserting that nothing arrived). */
export function collect(target: Parameters<typeof nextEvents>[0], event: string): any[] {
  const seen: any[] = [];
  target.bind(event, (data: any) => void seen.push(data));
  return seen;
}

/** A pause, only used to give a message that must NOT arrive the chance to arrive. */
export function quiet(ms = 300): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Disconnects every client given (ignores ones already gone). */
export function disconnectAll(...clients: Array<{ disconnect(): void } | undefined>): void {
  for (const client of clients) {
    try {
      client?.disconnect();
    } catch {
      // already disconnected
    }
  }
}

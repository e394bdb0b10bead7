/**
 * @module A real `redis-server` on a free port for the scaling suites (stop/restart on the same port, raw commands),
 * and Resound nodes joined to it: `startNode` runs the CLI with scaling on, raw Pusher clients sign their own subscriptions.
 */

import { type ChildProcess, spawn } from "node:child_process";
import { connect as tcpConnect } from "node:net";
import Pusher from "pusher";
import { type AppEntry, credentials, writeConfig } from "./e2e-server.ts";
import { APP_A } from "./fixtures.ts";
import { freePort, type RunningServer, type RuntimeName, startServer } from "./spawn.ts";
import { connect, type Message, type RawClient } from "./ws-client.ts";

// ---------------------------------------------------------------------------------------------------------------
// redis-server
// ---------------------------------------------------------------------------------------------------------------

export interface RedisServer {
  readonly port: number;
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  /** Whether the server process is running. */
  readonly running: boolean;
  /** Kills the server (SIGKILL by default: an outage, not a goodbye) and waits for it to exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same port and waits until it answers PING. */
  restart(): Promise<void>;
  /** Sends one command (RESP) and resolves with the raw reply, e.g. `command("PUBLISH", "reverb", "garbage")`. */
  command(...args: string[]): Promise<string>;
}

const REDIS_BIN = process.env["REDIS_SERVER_BIN"] ?? "redis-server";
const alive = new Set<ChildProcess>();
// The test process must never leave a redis-server behind, whatever happened.
process.once("exit", () => {
  for (const child of alive) child.kill("SIGKILL");
});

/** Starts `redis-server` on a free port of 127.0.0.1 without persistence; resolves once it answers PING. */
export async function startRedis(): Promise<RedisServer> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let output = "";

  const launch = async () => {
    output = "";
    const started = spawn(REDIS_BIN, ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    child = started;
    alive.add(started);
    started.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
    started.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
    exited = new Promise((resolve) => started.once("exit", () => {
      alive.delete(started);
      resolve();
    }));
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (started.exitCode !== null || started.signalCode !== null) throw new Error(`redis-server exited at start:\n${output}`);
      try {
        if ((await sendCommand(port, ["PING"], 500)) === "+PONG\r\n") return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) {
        started.kill("SIGKILL");
        throw new Error(`redis-server on port ${port} did not answer PING within 10 s:\n${output}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  };

  const stop = async (signal: NodeJS.Signals = "SIGKILL") => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
  };

  await launch();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    get running() {
      return child !== undefined && child.exitCode === null && child.signalCode === null;
    },
    stop,
    async restart() {
      await stop();
      await launch();
    },
    command: (...args) => sendCommand(port, args),
  };
}

/** One RESP command over a fresh TCP connection; resolves with the first reply's raw text. */
function sendCommand(port: number, args: string[], timeoutMs = 2000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tcpConnect(port, "127.0.0.1");
    let reply = "";
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`redis on ${port}: no reply to ${args[0]} within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.on("data", (chunk: Buffer) => {
      reply += chunk.toString();
      if (reply.endsWith("\r\n")) {
        clearTimeout(timer);
        socket.destroy();
        resolve(reply);
      }
    });
    socket.write(`*${args.length}\r\n${args.map((arg) => `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`).join("")}`);
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Resound nodes with scaling on
// ---------------------------------------------------------------------------------------------------------------

export interface ScalingNode {
  readonly runtime: RuntimeName;
  readonly server: RunningServer;
  readonly port: number;
  /** `ws://127.0.0.1:<port>/app/<key>` */
  wsUrl(key?: string): string;
  /** `http://127.0.0.1:<port><path>` */
  httpUrl(path: string): string;
  /** The `pusher` server SDK for app A on this node. */
  readonly sdk: Pusher;
  /** SIGTERM (graceful) or SIGKILL (a crash), waiting for the exit. */
  stop(signal?: NodeJS.Signals): ReturnType<RunningServer["stop"]>;
}

/** Where the nodes' broker is: a plain Redis port, or the environment variables that describe another broker. */
export type Broker = { readonly port: number } | { readonly env: Readonly<Record<string, string>> };

/** Starts the CLI on `runtime` with the fixture apps (+ `extraApps`), scaling on over `broker` and `channel`. */
export async function startNode(runtime: RuntimeName, broker: Broker, channel: string, extraApps: AppEntry[] = [], args: string[] = []): Promise<ScalingNode> {
  const server = await startServer(runtime, {
    args: ["--config", writeConfig(extraApps), ...args],
    env: { REVERB_SCALING_ENABLED: "true", REVERB_SCALING_CHANNEL: channel, ...("port" in broker ? { REDIS_PORT: String(broker.port) } : broker.env) },
  });
  return {
    runtime,
    server,
    port: server.port,
    wsUrl: (key = APP_A.key) => `ws://127.0.0.1:${server.port}/app/${key}`,
    httpUrl: (path) => `http://127.0.0.1:${server.port}${path}`,
    sdk: new Pusher({ ...credentials(), host: "127.0.0.1", port: String(server.port), useTLS: false }),
    stop: (signal = "SIGTERM") => server.stop(signal),
  };
}

/** Starts one node per runtime given, in parallel; stops the ones that started if any fails. */
export async function startNodes(runtimes: RuntimeName[], broker: Broker, channel: string, extraApps: AppEntry[] = [], args: string[] = []): Promise<ScalingNode[]> {
  const results = await Promise.allSettled(runtimes.map((runtime) => startNode(runtime, broker, channel, extraApps, args)));
  const failure = results.find((result) => result.status === "rejected");
  if (failure) {
    await stopNodes(results.flatMap((result) => (result.status === "fulfilled" ? [result.value] : [])));
    throw (failure as PromiseRejectedResult).reason;
  }
  return results.map((result) => (result as PromiseFulfilledResult<ScalingNode>).value);
}

/** Stops every node given (already stopped ones are fine). */
export async function stopNodes(nodes: Array<ScalingNode | undefined>): Promise<void> {
  await Promise.all(nodes.map((node) => node?.stop()));
}

// ---------------------------------------------------------------------------------------------------------------
// Raw Pusher clients
// ---------------------------------------------------------------------------------------------------------------

/** A raw client that received its connection_established. */
export interface Peer {
  readonly client: RawClient;
  readonly socketId: string;
  readonly node: ScalingNode;
}

/** Signs channel subscriptions like a Laravel app's /broadcasting/auth would, for app A. */
const signer = new Pusher({ ...credentials(), host: "127.0.0.1" });

/** Connects to `node` (app A by default) and reads connection_established. */
export async function openPeer(node: ScalingNode, key = APP_A.key): Promise<Peer> {
  const client = await connect(node.wsUrl(key));
  const established = await client.next(5000);
  if (established.event !== "pusher:connection_established") {
    await client.close();
    throw new Error(`expected connection_established, got ${established.raw}`);
  }
  return { client, socketId: (established.data as { socket_id: string }).socket_id, node };
}

/**
 * Subscribes `peer` to `channel` (signing private/presence ones; presence as `user`, with `user_info` {name})
 * and returns the subscription_succeeded message (the cached event or cache_miss of a cache channel stays queued).
 */
export async function subscribe(peer: Peer, channel: string, user?: string | number): Promise<Message> {
  const data: Record<string, string> = { channel };
  if (channel.startsWith("private-") || channel.startsWith("presence-")) {
    const userId = user ?? peer.socketId;
    const presence = channel.startsWith("presence-") ? ({ user_id: userId, user_info: { name: `User ${userId}` } } as Pusher.PresenceChannelData) : undefined;
    const signed = signer.authorizeChannel(peer.socketId, channel, presence);
    data["auth"] = signed.auth;
    if (signed.channel_data !== undefined) data["channel_data"] = signed.channel_data;
  }
  peer.client.send({ event: "pusher:subscribe", data });
  const reply = await peer.client.next(5000);
  if (reply.event !== "pusher_internal:subscription_succeeded") throw new Error(`subscribe ${channel}: got ${reply.raw}`);
  return reply;
}

/** Closes every peer given. */
export async function closePeers(...peers: Array<Peer | undefined>): Promise<void> {
  await Promise.all(peers.map((peer) => peer?.client.close()));
}

/** Reads messages until one satisfies `match` (others are returned in `skipped`); rejects at the deadline. */
export async function nextMatching(peer: Peer, match: (message: Message) => boolean, timeoutMs = 3000): Promise<{ message: Message; skipped: Message[] }> {
  const deadline = Date.now() + timeoutMs;
  const skipped: Message[] = [];
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`no matching message within ${timeoutMs} ms; skipped: ${skipped.map((m) => m.raw).join(" | ")}`);
    const message = await peer.client.next(left).catch((error: Error) => {
      throw new Error(`${error.message}; skipped: ${skipped.map((m) => m.raw).join(" | ")}`);
    });
    if (match(message)) return { message, skipped };
    skipped.push(message);
  }
}

/** Polls `read` until `check` accepts its value (or throws the last assertion error at the deadline). */
export async function eventually<T>(read: () => Promise<T>, check: (value: T) => void, timeoutMs = 5000, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    try {
      check(value);
      return value;
    } catch (error) {
      if (Date.now() >= deadline) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** GET an HTTP API path on `node` through the SDK (app A's unless `sdk` is given); resolves with status, JSON body and elapsed ms. */
export async function apiGet(node: ScalingNode, path: string, params: Record<string, string> = {}, sdk: Pusher = node.sdk): Promise<{ status: number; body: unknown; ms: number }> {
  const started = Date.now();
  let status: number;
  let text: string;
  try {
    const response = await sdk.get({ path, params });
    status = response.status;
    text = await response.text();
  } catch (error) {
    // The SDK rejects on non-2xx with the response attached.
    const failed = error as { status?: number; body?: string };
    if (failed.status === undefined) throw error;
    status = failed.status;
    text = failed.body ?? "";
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  return { status, body, ms: Date.now() - started };
}

/** @module The only place ioredis is used: a PubSub over a Redis publisher and subscriber connection pair. */

import { Redis, type RedisOptions } from "ioredis";
import type { RedisSettings } from "../config/config.ts";
import type { PubSub } from "./pubsub.ts";

/** Thrown when Redis cannot be reached at startup; the message names the address. */
export class RedisUnavailable extends Error {}

/** Where Redis is, for messages: the URL without its password, or host:port/db. */
export function redisAddress(settings: RedisSettings): string {
  if (settings.url) {
    try {
      const url = new URL(settings.url);
      if (url.password) url.password = "***";
      return url.toString();
    } catch {
      return "(the REDIS_URL / scaling.server.url given)";
    }
  }
  return `redis://${settings.host}:${settings.port}${settings.database ? `/${settings.database}` : ""}`;
}

/**
 * Connects both connections and subscribes to `channel`; rejects with RedisUnavailable within `timeoutMs` when
 * Redis is unreachable or refuses the credentials. Afterwards, a lost connection is retried with backoff (at most
 * 2 s apart) forever, publishing while disconnected drops the message instead of queueing stale events, and the
 * subscription is restored on reconnect.
 */
export async function connectRedis(settings: RedisSettings, channel: string, timeoutMs = 5000): Promise<PubSub> {
  const address = redisAddress(settings);
  const options: RedisOptions = {
    lazyConnect: true,
    enableOfflineQueue: false,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: (attempt) => Math.min(100 * 2 ** attempt, 2000),
    ...(settings.url
      ? {}
      : {
        host: settings.host,
        port: settings.port,
        db: settings.database,
        ...(settings.username && { username: settings.username }),
        ...(settings.password && { password: settings.password }),
      }),
  };
  const publisher = settings.url ? new Redis(settings.url, options) : new Redis(options);
  const subscriber = publisher.duplicate();
  const ignore = () => {}; // errors surface as status changes; ioredis would print unhandled ones
  let lastError: Error | undefined; // ioredis reports "Connection is closed." where the cause was ECONNREFUSED
  const remember = (error: Error) => void (lastError = error);
  publisher.on("error", remember);
  subscriber.on("error", remember);

  try {
    await withTimeout(Promise.all([publisher.connect(), subscriber.connect()]), timeoutMs);
    await withTimeout(subscriber.subscribe(channel), timeoutMs);
  } catch (error) {
    publisher.disconnect();
    subscriber.disconnect();
    const reason = (lastError?.message ?? (error instanceof Error ? error.message : String(error))).replace(/\.+$/, "");
    throw new RedisUnavailable(`Cannot connect to Redis at ${address} for scaling: ${reason}. Check REDIS_URL or REDIS_HOST/REDIS_PORT/REDIS_PASSWORD (or server.scaling.server), or turn scaling off.`);
  }

  const messageListeners: Array<(message: string) => void> = [];
  const statusListeners: Array<(connected: boolean) => void> = [];
  let connected = true;
  let closing = false;
  const update = () => {
    const now = publisher.status === "ready" && subscriber.status === "ready";
    if (now === connected || closing) return;
    connected = now;
    for (const listener of statusListeners) listener(now);
  };
  for (const client of [publisher, subscriber]) {
    for (const event of ["ready", "close", "end", "reconnecting"]) client.on(event, update);
  }
  subscriber.on("message", (_channel: string, message: string) => {
    for (const listener of messageListeners) listener(message);
  });

  return {
    address,
    get connected() {
      return connected;
    },
    publish(target, message) {
      if (connected) publisher.publish(target, message).catch(ignore);
    },
    onMessage: (listener) => void messageListeners.push(listener),
    onStatusChange: (listener) => void statusListeners.push(listener),
    async close() {
      closing = true;
      await withTimeout(Promise.allSettled([publisher.quit(), subscriber.quit()]), 1000).catch(ignore);
      publisher.disconnect();
      subscriber.disconnect();
    },
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

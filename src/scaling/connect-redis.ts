/** @module The only place ioredis is used: a PubSub over Redis as one server, a Sentinel-watched master, or a Cluster. */

import { Cluster, type ClusterOptions, Redis, type RedisOptions } from "ioredis";
import type { RedisSettings } from "../config/config.ts";
import type { PubSub } from "./pubsub.ts";
import { redisShape } from "./redis-shape.ts";
import { ScalingUnavailable, withTimeout } from "./scaling-error.ts";

/** TLS options for ioredis (node:tls connection options, passed through). */
type Tls = NonNullable<RedisOptions["tls"]>;

/** Registers a client for error tracking (before it connects) and for cleanup if connecting fails. */
type Track = <T extends Redis | Cluster>(client: T) => T;

/** The link's two ends: a publisher, and a subscriber that receives `channel`'s messages. */
interface Clients {
  readonly publisher: Redis | Cluster;
  readonly subscriber: Redis | Cluster;
  readonly sharded: boolean;
  /**
   * A Cluster's subscriber made afresh (new topology, new connections, subscribed), for when its messages stopped:
   * ioredis 6's sharded subscriber can keep retrying a dead master and never follow the replica promoted in its place.
   */
  readonly renewSubscriber?: () => Promise<Cluster>;
}

/**
 * Connects a publisher and a subscriber to `channel` in the configured shape; rejects with ScalingUnavailable within
 * `timeoutMs` when Redis is unreachable or refuses the credentials. Afterwards, a lost connection is retried with
 * backoff (at most 2 s apart) forever (a Sentinel setup asks the sentinels for the current master each time, so a
 * failover is followed), publishing while disconnected drops the message instead of queueing stale events, and the
 * subscription is restored on reconnect. `ca` is the PEM text of `settings.tlsCa`, read by the caller.
 */
export async function connectRedis(settings: RedisSettings, channel: string, ca: string | null = null, timeoutMs = 5000): Promise<PubSub> {
  const shape = redisShape(settings);
  let lastError: Error | undefined; // ioredis reports "Connection is closed." where the cause was ECONNREFUSED
  const remember = (error: Error) => void (lastError = error);
  const created: Array<Redis | Cluster> = [];
  let started = false;
  const track = <T extends Redis | Cluster>(client: T): T => {
    client.on("error", remember); // errors surface as status changes; ioredis would print unhandled ones
    if (!started) created.push(client); // only startup's clients are cleaned up here; later ones by their owner
    return client;
  };
  let clients: Clients;
  let details: string;
  try {
    const backoff = {
      connected: false,
      retry: (attempt: number) => (backoff.connected ? Math.min(100 * 2 ** attempt, 2000) : null),
    };
    const context: Context = { settings, tls: shape.tls ? { ...(ca && { ca }) } : undefined, timeoutMs, track, backoff };
    const { publisher, ...rest } = await connectShape(context);
    const version = await withTimeout(publisher.info("server"), timeoutMs).then(redisVersion);
    // Sharded pub/sub keeps each message on the shard that owns the channel instead of every node of the cluster.
    const sharded = shape.kind === "cluster" && Number(version.split(".")[0]) >= 7;
    const subscribed = async (subscriber: Redis | Cluster) => {
      await withTimeout(sharded ? (subscriber as Cluster).ssubscribe(channel) : subscriber.subscribe(channel), timeoutMs);
      return subscriber;
    };
    const subscriber = await subscribed(rest.subscriber ?? await connectCluster(context, sharded));
    const renewSubscriber = async () => {
      const fresh = await connectCluster(context, sharded);
      return subscribed(fresh).catch((error: unknown) => {
        fresh.disconnect();
        throw error;
      }) as Promise<Cluster>;
    };
    clients = { publisher, subscriber, sharded, ...(shape.kind === "cluster" && { renewSubscriber }) };
    backoff.connected = true;
    started = true;
    details = `Redis ${version}${shape.kind === "cluster" ? `, ${sharded ? "sharded pub/sub (SPUBLISH/SSUBSCRIBE)" : "classic pub/sub (Redis before 7 has no sharded channels)"}` : ""}${shape.kind === "sentinel" ? `, master at ${masterAddress(publisher as Redis)}` : ""}`;
  } catch (error) {
    for (const client of created) client.disconnect();
    const reason = (lastError?.message ?? (error instanceof Error ? error.message : String(error)))
      .replace(/ Retrying from scratch after \d+ms\./, "").replace(" and retry is disabled", "").replace(/\.+$/, "");
    throw new ScalingUnavailable(`Cannot connect to ${shape.target} for scaling: ${reason}. ${shape.hint}`);
  }
  return redisPubSub(clients, shape.target, `${clients.sharded ? "sharded channel" : "channel"} "${channel}"`, details);
}

/** What every connection of one link is made with. */
interface Context {
  readonly settings: RedisSettings;
  readonly tls: Tls | undefined;
  readonly timeoutMs: number;
  readonly track: Track;
  /**
   * When every sentinel or every cluster node is unreachable: give up at startup (one clear error now, not after the
   * startup timeout), retry forever with backoff once connected.
   */
  readonly backoff: { connected: boolean; retry(attempt: number): number | null };
}

/** ioredis options every connection shares: fail fast at startup, never queue, back off up to 2 s. */
function common(timeoutMs: number): RedisOptions {
  return {
    lazyConnect: true,
    enableOfflineQueue: false,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: (attempt) => Math.min(100 * 2 ** attempt, 2000),
  };
}

/** The credentials and database of the data nodes. */
function auth(settings: RedisSettings): RedisOptions {
  return {
    ...(settings.username && { username: settings.username }),
    ...(settings.password && { password: settings.password }),
  };
}

/** Connects the publisher (and, but for a Cluster, whose subscriber depends on the server version, the subscriber). */
async function connectShape(context: Context): Promise<{ publisher: Redis | Cluster; subscriber?: Redis }> {
  const { settings, tls, timeoutMs, track, backoff } = context;
  if (settings.cluster) return { publisher: await connectCluster(context, false) };
  const options: RedisOptions = {
    ...common(timeoutMs),
    ...auth(settings),
    ...(tls && { tls }),
    ...(settings.sentinels
      ? {
        sentinels: settings.sentinels.map(({ host, port }) => ({ host, port })),
        name: settings.sentinelMaster,
        db: settings.database,
        ...(settings.sentinelPassword && { sentinelPassword: settings.sentinelPassword }),
        ...(tls && { sentinelTLS: tls, enableTLSForSentinelMode: true }),
        sentinelRetryStrategy: (attempt: number) => backoff.retry(attempt),
        // Subscribes to the sentinels' +switch-master, so a failover is followed at once, not at the next error.
        failoverDetector: true,
      }
      : settings.url ? {} : { host: settings.host, port: settings.port, db: settings.database }),
  };
  const publisher = track(settings.url && !settings.sentinels ? new Redis(settings.url, options) : new Redis(options));
  const subscriber = track(publisher.duplicate());
  await withTimeout(Promise.all([publisher.connect(), subscriber.connect()]), timeoutMs);
  return { publisher, subscriber };
}

/** A Cluster client on the seed nodes; `sharded` gives it one subscriber per shard for SSUBSCRIBE. */
async function connectCluster({ settings, tls, timeoutMs, track, backoff }: Context, sharded: boolean): Promise<Cluster> {
  const { lazyConnect, enableOfflineQueue, retryStrategy: _perNode, ...redisOptions } = common(timeoutMs);
  const options: ClusterOptions = {
    lazyConnect,
    enableOfflineQueue,
    clusterRetryStrategy: (attempt) => backoff.retry(attempt),
    redisOptions: { ...redisOptions, ...auth(settings), ...(tls && { tls }) },
    shardedSubscribers: sharded,
  };
  const cluster = track(new Cluster(settings.cluster!.map(({ host, port }) => ({ host, port })), options));
  await withTimeout(cluster.connect(), timeoutMs).catch((error: unknown) => {
    cluster.disconnect(); // it would otherwise keep retrying in the background
    throw error;
  });
  return cluster;
}

/** `redis_version` from INFO server. */
function redisVersion(info: string): string {
  return /^redis_version:(\S+)/m.exec(info)?.[1] ?? "(unknown version)";
}

/** Where a Sentinel-mode connection is connected to now. */
function masterAddress(client: Redis): string {
  const stream = (client as unknown as { stream?: { remoteAddress?: string; remotePort?: number } }).stream;
  return stream?.remoteAddress ? `${stream.remoteAddress}:${stream.remotePort}` : "(unknown)";
}

/** The PubSub over connected clients. */
function redisPubSub({ publisher, subscriber: first, sharded, renewSubscriber }: Clients, target: string, topic: string, details: string): PubSub {
  const ignore = () => {};
  const messageListeners: Array<(message: string) => void> = [];
  const statusListeners: Array<(connected: boolean) => void> = [];
  let subscriber = first;
  let connected = true;
  let closing = false;
  let renewing = false;
  const update = () => {
    const now = publisher.status === "ready" && subscriber.status === "ready";
    if (now === connected || closing) return;
    connected = now;
    for (const listener of statusListeners) listener(now);
  };
  const STATUS_EVENTS = ["ready", "close", "end", "reconnecting"];
  for (const event of STATUS_EVENTS) publisher.on(event, update);
  const messageEvent = sharded ? "smessage" : "message";
  const onMessage = (_channel: string, message: string) => {
    for (const listener of messageListeners) listener(message);
  };
  const attach = (client: Redis | Cluster) => {
    for (const event of STATUS_EVENTS) client.on(event, update);
    client.on(messageEvent, onMessage);
  };
  attach(subscriber);
  return {
    target,
    topic,
    details,
    get connected() {
      return connected;
    },
    publish(channel, message) {
      if (!connected) return;
      (sharded ? (publisher as Cluster).spublish(channel, message) : publisher.publish(channel, message)).catch(ignore);
    },
    onMessage: (listener) => void messageListeners.push(listener),
    onStatusChange: (listener) => void statusListeners.push(listener),
    ...(renewSubscriber && {
      renew() {
        if (renewing || closing) return;
        renewing = true;
        renewSubscriber().then((fresh) => {
          if (closing) return fresh.disconnect();
          // The old one goes before the new one is heard, so no message is delivered twice.
          const old = subscriber;
          for (const event of STATUS_EVENTS) old.off(event, update);
          old.off(messageEvent, onMessage);
          old.disconnect();
          subscriber = fresh;
          attach(fresh);
          update();
        }, ignore).finally(() => (renewing = false));
      },
    }),
    async close() {
      closing = true;
      await withTimeout(Promise.allSettled([publisher.quit(), subscriber.quit()]), 1000).catch(ignore);
      publisher.disconnect();
      subscriber.disconnect();
    },
  };
}

/** @module The only place the NATS client is used: a PubSub over one NATS subject (core NATS, no JetStream). */

import { connect, type NatsConnection } from "@nats-io/transport-node";
import type { NatsSettings } from "../config/config.ts";
import { systemClock } from "../support/clock.ts";
import { LogThrottle } from "../support/log-throttle.ts";
import type { PubSub } from "./pubsub.ts";
import { ScalingUnavailable, withTimeout } from "./scaling-error.ts";

/** The server URLs without passwords or tokens, for messages. */
export function natsAddress(settings: NatsSettings): string {
  return settings.servers.map((server) => {
    try {
      const url = new URL(server);
      if (url.password) url.password = "***";
      else if (url.username && !url.password) url.username = "***"; // nats://token@host
      return url.toString().replace(/\/$/, "");
    } catch {
      return server;
    }
  }).join(",");
}

/**
 * Connects to NATS and subscribes to the subject `channel`; rejects with ScalingUnavailable within `timeoutMs` when no
 * server answers or the credentials are refused. Afterwards the client reconnects forever (to any server of the list
 * or that the NATS cluster announced), at most 2 s apart, resubscribing by itself; publishing while disconnected drops
 * the message (no stale events replayed later), and one larger than the server's max_payload is dropped and reported
 * through `warn`.
 */
export async function connectNats(settings: NatsSettings, channel: string, warn: (line: string) => void, timeoutMs = 5000): Promise<PubSub> {
  const target = `NATS at ${natsAddress(settings)}`;
  // A subject is dot-separated tokens; * and > are wildcards, and whitespace ends it.
  if (!/^[^\s.*>]+(\.[^\s.*>]+)*$/.test(channel)) {
    throw new ScalingUnavailable(`REVERB_SCALING_CHANNEL (server.scaling.channel) is ${JSON.stringify(channel)}, which is no NATS subject: use letters, digits, - and _, with dots between parts, and no * or >.`);
  }
  let nc: NatsConnection;
  try {
    nc = await withTimeout(connect({
      servers: [...settings.servers],
      name: "resound",
      timeout: timeoutMs,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 1000,
      reconnectJitter: 500,
      ...(settings.user !== null && { user: settings.user }),
      ...(settings.password !== null && { pass: settings.password }),
      ...(settings.token !== null && { token: settings.token }),
    }), timeoutMs + 1000);
  } catch (error) {
    const reason = (error instanceof Error ? error.message : String(error)).replace(/\.+$/, "");
    throw new ScalingUnavailable(`Cannot connect to ${target} for scaling: ${reason}. Check NATS_URL and NATS_USER/NATS_PASSWORD or NATS_TOKEN (server.scaling.nats), or turn scaling off.`);
  }

  const messageListeners: Array<(message: string) => void> = [];
  const statusListeners: Array<(connected: boolean) => void> = [];
  let connected = true;
  let closing = false;
  const set = (now: boolean) => {
    if (now === connected || closing) return;
    connected = now;
    for (const listener of statusListeners) listener(now);
  };
  void (async () => {
    for await (const status of nc.status()) {
      if (status.type === "disconnect") set(false);
      else if (status.type === "reconnect") set(true);
    }
  })();
  nc.subscribe(channel, {
    callback: (error, message) => {
      if (error) return; // the subscription ends only when the connection closes
      const text = message.string();
      for (const listener of messageListeners) listener(text);
    },
  });
  const maxPayload = nc.info?.max_payload ?? 1024 * 1024;
  const throttle = new LogThrottle(systemClock); // a burst of them says nothing more than the first
  return {
    target,
    topic: `subject "${channel}"`,
    details: `NATS server ${nc.info?.version ?? "(unknown version)"} at ${nc.getServer()}, max_payload ${maxPayload} bytes`,
    get connected() {
      return connected;
    },
    publish(subject, message) {
      if (!connected) return;
      try {
        nc.publish(subject, message);
      } catch (error) {
        throttle.log("nats-publish", (heldBack) =>
          warn(`A cluster message of ${message.length} characters was not sent over ${target}${heldBack}: ${error instanceof Error ? error.message : String(error)} (raise max_payload in nats-server's configuration)`));
      }
    },
    onMessage: (listener) => void messageListeners.push(listener),
    onStatusChange: (listener) => void statusListeners.push(listener),
    async close() {
      closing = true;
      await withTimeout(nc.drain(), 1000).catch(() => nc.close());
    },
  };
}

/** @module An application as configured: credentials and per-app limits (Reverb's `apps` entries). */

import type { Webhook } from "../webhooks/webhook.ts";

/** Who may send client events: subscribers of the channel, any connection, or nobody. */
export type ClientEventsFrom = "members" | "all" | "none";

/** Per-connection message rate limit (Reverb's `rate_limiting`). */
export interface RateLimit {
  readonly maxAttempts: number;
  readonly decaySeconds: number;
  readonly terminateOnLimit: boolean;
}

/** One application served by this server. */
export interface App {
  readonly id: string;
  readonly key: string;
  readonly secret: string;
  /** Seconds of silence before the server pings a connection (and again before it gives up). */
  readonly pingInterval: number;
  /** Seconds advertised to clients in connection_established. */
  readonly activityTimeout: number;
  /** Origin host patterns; `*` matches any run of characters, `["*"]` allows all. */
  readonly allowedOrigins: readonly string[];
  /** Most open connections this app may have on this server; null = unlimited. */
  readonly maxConnections: number | null;
  /** Largest inbound WebSocket message in bytes. */
  readonly maxMessageSize: number;
  /** Most bytes sent to a connection and not yet taken by the client; past it the connection is closed with 4100. */
  readonly maxBacklogBytes: number;
  /** Most channels one connection may be subscribed to at once; Infinity when unlimited (0 in the config). */
  readonly maxChannelsPerConnection: number;
  /** Seconds a connection has to sign in (pusher:signin) before it is closed with 4009; null = no deadline. */
  readonly userAuthenticationTimeout: number | null;
  /** Seconds a cache channel's last event is kept after it was published, whether or not anyone is subscribed. */
  readonly cacheTtl: number;
  /** Most cache channels of the app with a kept event on this node; past it the one written longest ago goes. */
  readonly maxCachedEvents: number;
  /** Send `pusher_internal:subscription_count` to subscribers of non-presence channels when their count changes. */
  readonly subscriptionCount: boolean;
  /** Where to POST Pusher webhooks. */
  readonly webhooks: readonly Webhook[];
  readonly acceptClientEventsFrom: ClientEventsFrom;
  /** null = no rate limiting. */
  readonly rateLimiting: RateLimit | null;
}

/** @module Reverb's own test fixture apps (reverb-behaviour.md §8), reused so our tests mirror its suite. */

import type { App } from "../../src/apps/app.ts";

const defaults = {
  pingInterval: 60,
  activityTimeout: 30,
  allowedOrigins: ["*"],
  maxConnections: null,
  maxMessageSize: 10_000,
  maxBacklogBytes: 1_048_576,
  maxChannelsPerConnection: 1_000,
  cacheTtl: 1_800,
  maxCachedEvents: 10_000,
  userAuthenticationTimeout: null,
  subscriptionCount: false,
  webhooks: [],
  acceptClientEventsFrom: "members",
  rateLimiting: null,
} as const satisfies Partial<App>;

/** App A: all defaults. */
export const APP_A: App = { ...defaults, id: "123456", key: "reverb-key", secret: "reverb-secret" };
/** App B: ping 10 s, 1 MB messages, one connection at most, client events from all. */
export const APP_B: App = {
  ...defaults,
  id: "654321",
  key: "reverb-key-2",
  secret: "reverb-secret-2",
  pingInterval: 10,
  maxMessageSize: 1_000_000,
  maxConnections: 1,
  acceptClientEventsFrom: "all",
};
/** App C: only laravel.com origins, 1-byte messages, client events from all. */
export const APP_C: App = {
  ...defaults,
  id: "987654",
  key: "reverb-key-3",
  secret: "reverb-secret-3",
  allowedOrigins: ["laravel.com"],
  maxMessageSize: 1,
  acceptClientEventsFrom: "all",
};

export const FIXTURE_APPS = [APP_A, APP_B, APP_C];

/** The same apps as a --config JSON file body. */
export function fixtureConfigFile(overrides: Partial<Record<string, unknown>> = {}): string {
  return JSON.stringify({
    apps: FIXTURE_APPS.map((app) => ({
      app_id: app.id,
      key: app.key,
      secret: app.secret,
      ping_interval: app.pingInterval,
      activity_timeout: app.activityTimeout,
      allowed_origins: app.allowedOrigins,
      max_connections: app.maxConnections,
      max_message_size: app.maxMessageSize,
      accept_client_events_from: app.acceptClientEventsFrom,
    })),
    ...overrides,
  });
}

/** @module Environment configuration: Reverb's env names and defaults (reverb-behaviour.md §5), Laravel literals, one-line errors. */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DEFAULT_SERVER, mergeLayers } from "../../src/config/config.ts";
import { envLayer } from "../../src/config/env-layer.ts";
import { ConfigError } from "../../src/config/fields.ts";

const CREDENTIALS = { REVERB_APP_ID: "123456", REVERB_APP_KEY: "reverb-key", REVERB_APP_SECRET: "reverb-secret" };

/** Resolved settings from an environment alone (defaults underneath). */
function fromEnv(env: Record<string, string>) {
  return mergeLayers([envLayer(env)]);
}

/** The single env-configured app. */
function appFrom(env: Record<string, string>) {
  const { apps } = fromEnv({ ...CREDENTIALS, ...env });
  assert.equal(apps.length, 1);
  return apps[0]!;
}

/** Asserts that the environment is refused with exactly this one-line message. */
function assertRejects(env: Record<string, string>, message: string): void {
  assert.throws(() => envLayer(env), (error: unknown) => {
    assert.ok(error instanceof ConfigError, `expected ConfigError, got ${String(error)}`);
    assert.equal(error.message, message);
    assert.ok(!error.message.includes("\n"), "message is one line");
    return true;
  });
}

describe("env: defaults", () => {
  it("with nothing set, the server settings are Reverb's defaults and there is no app", () => {
    const { server, apps, debug } = fromEnv({});
    assert.deepEqual(server, {
      host: "0.0.0.0",
      port: 8080,
      path: "",
      hostname: null,
      clientPort: null,
      clientScheme: null,
      maxRequestSize: 10_000,
      tls: null,
      scalingEnabled: false,
      scalingChannel: "reverb",
      scalingDriver: "redis",
      redis: {
        url: null, host: "127.0.0.1", port: 6379, username: null, password: null, database: 0,
        sentinels: null, sentinelMaster: "mymaster", sentinelPassword: null, cluster: null, tls: false, tlsCa: null,
      },
      nats: { servers: ["nats://127.0.0.1:4222"], user: null, password: null, token: null },
      metricsPort: null,
      metricsHost: "127.0.0.1",
      dashboardToken: null,
    });
    assert.deepEqual(apps, []);
    assert.equal(debug, false);
  });

  it("an app with only credentials gets config/reverb.php's defaults", () => {
    assert.deepEqual(appFrom({}), {
      id: "123456",
      key: "reverb-key",
      secret: "reverb-secret",
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
    });
  });

  it("REVERB_PORT and REVERB_SCHEME are banner hints: a value that is not a port or scheme is left out, never fatal", () => {
    const { server } = fromEnv({ REVERB_PORT: "${APP_PORT}", REVERB_SCHEME: "wss" });
    assert.equal(server?.clientPort ?? null, null);
    assert.equal(server?.clientScheme ?? null, null);
  });

  it("ignores unrelated variables", () => {
    assert.deepEqual(fromEnv({ PATH: "/bin", VITE_REVERB_PORT: "443", APP_ENV: "local" }).server, DEFAULT_SERVER);
  });
});

describe("env: every server variable", () => {
  it("reads REVERB_SERVER_*, REVERB_HOST, REVERB_MAX_REQUEST_SIZE, REVERB_SCALING_*, REDIS_*, NATS_* and RESOUND_*", () => {
    const { server } = fromEnv({
      REVERB_SERVER_HOST: "127.0.0.1",
      REVERB_SERVER_PORT: "9000",
      REVERB_SERVER_PATH: "ws",
      REVERB_HOST: "ws.example.com",
      REVERB_PORT: "443",
      REVERB_SCHEME: "https",
      REVERB_MAX_REQUEST_SIZE: "20000",
      REVERB_SCALING_ENABLED: "true",
      REVERB_SCALING_CHANNEL: "fanout",
      REDIS_URL: "redis://cache:6380/2",
      REDIS_HOST: "redis.internal",
      REDIS_PORT: "6380",
      REDIS_USERNAME: "default",
      REDIS_PASSWORD: "s3cret",
      REDIS_DB: "3",
      REDIS_SENTINELS: "10.0.0.1:26379, 10.0.0.2:26380,[::1]:26381",
      REDIS_SENTINEL_MASTER: "main",
      REDIS_SENTINEL_PASSWORD: "watch",
      REDIS_CLUSTER: "10.0.1.1:7000,10.0.1.2:7001",
      REDIS_TLS: "true",
      REDIS_TLS_CA: "/etc/ssl/redis-ca.pem",
      RESOUND_SCALING_DRIVER: "nats",
      NATS_URL: "nats://10.0.2.1:4222, nats://10.0.2.2:4222",
      NATS_USER: "resound",
      NATS_PASSWORD: "n4ts",
      NATS_TOKEN: "tok",
      RESOUND_METRICS_PORT: "9100",
      RESOUND_METRICS_HOST: "0.0.0.0",
      RESOUND_DASHBOARD_TOKEN: "0123456789abcdef0123",
    });
    assert.deepEqual(server, {
      host: "127.0.0.1",
      port: 9000,
      path: "/ws",
      hostname: "ws.example.com",
      clientPort: 443,
      clientScheme: "https",
      maxRequestSize: 20_000,
      tls: null,
      scalingEnabled: true,
      scalingChannel: "fanout",
      scalingDriver: "nats",
      redis: {
        url: "redis://cache:6380/2", host: "redis.internal", port: 6380, username: "default", password: "s3cret", database: 3,
        sentinels: [{ host: "10.0.0.1", port: 26379 }, { host: "10.0.0.2", port: 26380 }, { host: "::1", port: 26381 }],
        sentinelMaster: "main",
        sentinelPassword: "watch",
        cluster: [{ host: "10.0.1.1", port: 7000 }, { host: "10.0.1.2", port: 7001 }],
        tls: true,
        tlsCa: "/etc/ssl/redis-ca.pem",
      },
      nats: { servers: ["nats://10.0.2.1:4222", "nats://10.0.2.2:4222"], user: "resound", password: "n4ts", token: "tok" },
      metricsPort: 9100,
      metricsHost: "0.0.0.0",
      dashboardToken: "0123456789abcdef0123",
    });
  });

  it("normalizes REVERB_SERVER_PATH the way Reverb does", () => {
    for (const [raw, expected] of [["ws", "/ws"], ["/ws", "/ws"], ["/ws/", "/ws"], [" /ws/ ", "/ws"], ["", ""], ["/", ""], ["a/b", "/a/b"]]) {
      assert.equal(fromEnv({ REVERB_SERVER_PATH: raw! }).server.path, expected, `REVERB_SERVER_PATH=${JSON.stringify(raw)}`);
    }
  });
});

describe("env: every app variable", () => {
  it("reads REVERB_APP_*", () => {
    assert.deepEqual(
      appFrom({
        REVERB_APP_PING_INTERVAL: "15",
        REVERB_APP_ACTIVITY_TIMEOUT: "120",
        REVERB_APP_MAX_CONNECTIONS: "100",
        REVERB_APP_ALLOWED_ORIGINS: "example.com, *.example.com",
        REVERB_APP_MAX_MESSAGE_SIZE: "500000",
        REVERB_APP_MAX_BACKLOG_BYTES: "4000000",
        REVERB_APP_MAX_CHANNELS_PER_CONNECTION: "0",
        REVERB_APP_CACHE_TTL: "600",
        REVERB_APP_MAX_CACHED_EVENTS: "500",
        REVERB_APP_USER_AUTHENTICATION_TIMEOUT: "30",
        REVERB_APP_SUBSCRIPTION_COUNT: "true",
        REVERB_APP_WEBHOOK_URL: "https://example.com/pusher/webhook",
        REVERB_APP_WEBHOOK_EVENTS: "channel_occupied, member_added",
        REVERB_APP_ACCEPT_CLIENT_EVENTS_FROM: "all",
        REVERB_APP_RATE_LIMITING_ENABLED: "true",
        REVERB_APP_RATE_LIMIT_MAX_ATTEMPTS: "5",
        REVERB_APP_RATE_LIMIT_DECAY_SECONDS: "2",
        REVERB_APP_RATE_LIMIT_TERMINATE: "true",
      }),
      {
        id: "123456",
        key: "reverb-key",
        secret: "reverb-secret",
        pingInterval: 15,
        activityTimeout: 120,
        allowedOrigins: ["example.com", "*.example.com"],
        maxConnections: 100,
        maxMessageSize: 500_000,
        maxBacklogBytes: 4_000_000,
        maxChannelsPerConnection: Infinity,
        cacheTtl: 600,
        maxCachedEvents: 500,
        userAuthenticationTimeout: 30,
        subscriptionCount: true,
        webhooks: [{ url: "https://example.com/pusher/webhook", eventTypes: ["channel_occupied", "member_added"], headers: {}, channelNameStartsWith: null, channelNameEndsWith: null }],
        acceptClientEventsFrom: "all",
        rateLimiting: { maxAttempts: 5, decaySeconds: 2, terminateOnLimit: true },
      },
    );
  });

  it("accept_client_events_from takes members, all and none", () => {
    for (const mode of ["members", "all", "none"]) {
      assert.equal(appFrom({ REVERB_APP_ACCEPT_CLIENT_EVENTS_FROM: mode }).acceptClientEventsFrom, mode);
    }
  });

  it("rate limiting enabled alone uses Reverb's env defaults (60 attempts / 60 s, no terminate)", () => {
    assert.deepEqual(appFrom({ REVERB_APP_RATE_LIMITING_ENABLED: "true" }).rateLimiting, {
      maxAttempts: 60,
      decaySeconds: 60,
      terminateOnLimit: false,
    });
  });

  it("rate-limit numbers without REVERB_APP_RATE_LIMITING_ENABLED leave rate limiting off", () => {
    assert.equal(appFrom({ REVERB_APP_RATE_LIMIT_MAX_ATTEMPTS: "5" }).rateLimiting, null);
    assert.equal(appFrom({ REVERB_APP_RATE_LIMITING_ENABLED: "false", REVERB_APP_RATE_LIMIT_MAX_ATTEMPTS: "5" }).rateLimiting, null);
  });
});

describe("env: Laravel's literal words", () => {
  it("true, (true), false and (false) for booleans", () => {
    for (const [raw, expected] of [["true", true], ["(true)", true], ["false", false], ["(false)", false]] as const) {
      assert.equal(fromEnv({ REVERB_SCALING_ENABLED: raw }).server.scalingEnabled, expected, raw);
      assert.equal(appFrom({ REVERB_APP_RATE_LIMITING_ENABLED: raw }).rateLimiting !== null, expected, raw);
      const limited = appFrom({ REVERB_APP_RATE_LIMITING_ENABLED: "true", REVERB_APP_RATE_LIMIT_TERMINATE: raw });
      assert.equal(limited.rateLimiting?.terminateOnLimit, expected, raw);
    }
  });

  it("null, (null), empty, (empty) and an empty value mean no hostname / no Redis credentials", () => {
    for (const raw of ["null", "(null)", "empty", "(empty)", ""]) {
      const { server } = fromEnv({ REVERB_HOST: raw, REDIS_URL: raw, REDIS_USERNAME: raw, REDIS_PASSWORD: raw });
      assert.equal(server.hostname, null, `REVERB_HOST=${raw}`);
      assert.deepEqual([server.redis.url, server.redis.username, server.redis.password], [null, null, null], raw);
    }
  });

  it("REDIS_PASSWORD=null, as in Laravel's stock .env, is no password", () => {
    assert.equal(fromEnv({ REDIS_PASSWORD: "null" }).server.redis.password, null);
  });

  it("null, (null) and an empty value mean no connection limit", () => {
    for (const raw of ["null", "(null)", ""]) {
      assert.equal(appFrom({ REVERB_APP_MAX_CONNECTIONS: raw }).maxConnections, null, raw);
    }
  });

  it("empty and (empty) mean no connection limit (env() reads them as \"\")", () => {
    for (const raw of ["empty", "(empty)"]) {
      assert.equal(appFrom({ REVERB_APP_MAX_CONNECTIONS: raw }).maxConnections, null, raw);
    }
  });

  it("null, (null), empty and (empty) mean no path prefix (env() reads them as null / \"\")", () => {
    for (const raw of ["null", "(null)", "empty", "(empty)"]) {
      assert.equal(fromEnv({ REVERB_SERVER_PATH: raw }).server.path, "", `REVERB_SERVER_PATH=${raw}`);
    }
  });
});

describe("env: partial app credentials", () => {
  it("names the missing variables when only REVERB_APP_ID is set", () => {
    assertRejects(
      { REVERB_APP_ID: "1" },
      "REVERB_APP_ID is set but REVERB_APP_KEY and REVERB_APP_SECRET are not; set all three of REVERB_APP_ID, REVERB_APP_KEY, REVERB_APP_SECRET.",
    );
  });

  it("names the one missing variable", () => {
    assertRejects(
      { REVERB_APP_ID: "1", REVERB_APP_SECRET: "s" },
      "REVERB_APP_ID and REVERB_APP_SECRET are set but REVERB_APP_KEY is not; set all three of REVERB_APP_ID, REVERB_APP_KEY, REVERB_APP_SECRET.",
    );
  });

  it("an empty credential counts as missing", () => {
    assertRejects(
      { REVERB_APP_ID: "", REVERB_APP_KEY: "k", REVERB_APP_SECRET: "s" },
      "REVERB_APP_KEY and REVERB_APP_SECRET are set but REVERB_APP_ID is not; set all three of REVERB_APP_ID, REVERB_APP_KEY, REVERB_APP_SECRET.",
    );
  });

  it("all three empty means no env app", () => {
    assert.deepEqual(fromEnv({ REVERB_APP_ID: "", REVERB_APP_KEY: "", REVERB_APP_SECRET: "" }).apps, []);
  });
});

describe("env: bad values are refused with the variable, the value and what is allowed", () => {
  const cases: Array<[Record<string, string>, string]> = [
    [{ REVERB_SERVER_PORT: "abc" }, 'REVERB_SERVER_PORT is "abc"; it must be an integer from 1 to 65535.'],
    [{ REVERB_SERVER_PORT: "0" }, 'REVERB_SERVER_PORT is "0"; it must be an integer from 1 to 65535.'],
    [{ REVERB_SERVER_PORT: "70000" }, 'REVERB_SERVER_PORT is "70000"; it must be an integer from 1 to 65535.'],
    [{ REVERB_SERVER_PORT: "80.5" }, 'REVERB_SERVER_PORT is "80.5"; it must be an integer from 1 to 65535.'],
    [{ REVERB_SERVER_HOST: "" }, 'REVERB_SERVER_HOST is ""; it must be a host name or IP address.'],
    [{ RESOUND_METRICS_HOST: "a b" }, 'RESOUND_METRICS_HOST is "a b"; it must be a host name or IP address.'],
    [{ REVERB_MAX_REQUEST_SIZE: "0" }, 'REVERB_MAX_REQUEST_SIZE is "0"; it must be a whole number, 1 or more.'],
    [{ REVERB_SCALING_ENABLED: "maybe" }, 'REVERB_SCALING_ENABLED is "maybe"; it must be true or false.'],
    [{ RESOUND_DASHBOARD_TOKEN: "short" }, 'RESOUND_DASHBOARD_TOKEN is "short"; it must be a token of at least 16 characters (e.g. the output of openssl rand -hex 16).'],
    [{ REDIS_PORT: "x" }, 'REDIS_PORT is "x"; it must be an integer from 1 to 65535.'],
    [{ REDIS_DB: "-1" }, 'REDIS_DB is "-1"; it must be a whole number, 0 or more.'],
    [{ REDIS_SENTINELS: "10.0.0.1" }, 'REDIS_SENTINELS is "10.0.0.1"; it must be a comma-separated list of host:port pairs such as "10.0.0.1:26379,10.0.0.2:26379".'],
    [{ REDIS_CLUSTER: "a:1,b:99999" }, 'REDIS_CLUSTER is "a:1,b:99999"; it must be a comma-separated list of host:port pairs such as "10.0.0.1:26379,10.0.0.2:26379".'],
    [{ REDIS_TLS: "sometimes" }, 'REDIS_TLS is "sometimes"; it must be true or false.'],
    [{ RESOUND_SCALING_DRIVER: "kafka" }, 'RESOUND_SCALING_DRIVER is "kafka"; it must be "redis" or "nats".'],
    [{ NATS_URL: "http://x y" }, 'NATS_URL is "http://x y"; it must be one or more NATS URLs such as "nats://10.0.0.1:4222,nats://10.0.0.2:4222".'],
    [
      { ...CREDENTIALS, REVERB_APP_ACCEPT_CLIENT_EVENTS_FROM: "everyone" },
      'REVERB_APP_ACCEPT_CLIENT_EVENTS_FROM is "everyone"; it must be one of "members", "all" or "none".',
    ],
    [{ ...CREDENTIALS, REVERB_APP_PING_INTERVAL: "0" }, 'REVERB_APP_PING_INTERVAL is "0"; it must be a whole number, 1 or more.'],
    [{ ...CREDENTIALS, REVERB_APP_ACTIVITY_TIMEOUT: "soon" }, 'REVERB_APP_ACTIVITY_TIMEOUT is "soon"; it must be a whole number, 1 or more.'],
    [{ ...CREDENTIALS, REVERB_APP_MAX_MESSAGE_SIZE: "-5" }, 'REVERB_APP_MAX_MESSAGE_SIZE is "-5"; it must be a whole number, 1 or more.'],
    [{ ...CREDENTIALS, REVERB_APP_MAX_BACKLOG_BYTES: "1MB" }, 'REVERB_APP_MAX_BACKLOG_BYTES is "1MB"; it must be a whole number, 1 or more.'],
    [
      { ...CREDENTIALS, REVERB_APP_MAX_CHANNELS_PER_CONNECTION: "-1" },
      'REVERB_APP_MAX_CHANNELS_PER_CONNECTION is "-1"; it must be a whole number, 0 or more (0 for no limit).',
    ],
    [{ ...CREDENTIALS, REVERB_APP_WEBHOOK_URL: "ftp://x" }, 'REVERB_APP_WEBHOOK_URL is "ftp://x"; it must be an http:// or https:// URL.'],
    [
      { ...CREDENTIALS, REVERB_APP_WEBHOOK_URL: "https://x", REVERB_APP_WEBHOOK_EVENTS: "channel_occupied,connected" },
      'REVERB_APP_WEBHOOK_EVENTS is "channel_occupied,connected"; it must be one of channel_occupied, channel_vacated, member_added, member_removed, client_event, cache_miss, subscription_count.',
    ],
    [{ ...CREDENTIALS, REVERB_APP_WEBHOOK_EVENTS: "cache_miss" }, "REVERB_APP_WEBHOOK_EVENTS is set but REVERB_APP_WEBHOOK_URL is not; set the URL to send webhooks to."],
    [{ ...CREDENTIALS, REVERB_APP_MAX_CONNECTIONS: "0" }, 'REVERB_APP_MAX_CONNECTIONS is "0"; it must be a whole number, 1 or more.'],
    [{ ...CREDENTIALS, REVERB_APP_RATE_LIMITING_ENABLED: "sometimes" }, 'REVERB_APP_RATE_LIMITING_ENABLED is "sometimes"; it must be true or false.'],
    [
      { ...CREDENTIALS, REVERB_APP_RATE_LIMITING_ENABLED: "true", REVERB_APP_RATE_LIMIT_MAX_ATTEMPTS: "many" },
      'REVERB_APP_RATE_LIMIT_MAX_ATTEMPTS is "many"; it must be a whole number, 1 or more.',
    ],
    [
      { ...CREDENTIALS, REVERB_APP_RATE_LIMITING_ENABLED: "true", REVERB_APP_RATE_LIMIT_DECAY_SECONDS: "0" },
      'REVERB_APP_RATE_LIMIT_DECAY_SECONDS is "0"; it must be a whole number, 1 or more.',
    ],
    [
      { ...CREDENTIALS, REVERB_APP_RATE_LIMITING_ENABLED: "true", REVERB_APP_RATE_LIMIT_TERMINATE: "kill" },
      'REVERB_APP_RATE_LIMIT_TERMINATE is "kill"; it must be true or false.',
    ],
  ];
  for (const [env, message] of cases) {
    it(message.split(";")[0]!, () => assertRejects(env, message));
  }
});

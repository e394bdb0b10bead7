/** @module The --config JSON file mirrors config/reverb.php: values, defaults, relative TLS paths, and one-line errors naming key and file. */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { mergeLayers } from "../../src/config/config.ts";
import { ConfigError } from "../../src/config/fields.ts";
import { fileLayer } from "../../src/config/file-layer.ts";

const FILE = "/etc/resound/reverb.json";
const CREDENTIALS = { app_id: "123456", key: "reverb-key", secret: "reverb-secret" };

/** Settings resolved from the file alone (defaults underneath). */
function fromFile(json: unknown, file = FILE) {
  return mergeLayers([fileLayer(json, file)]);
}

/** Asserts the file is refused with exactly this one-line message. */
function assertRejects(json: unknown, message: string): void {
  assert.throws(() => fileLayer(json, FILE), (error: unknown) => {
    assert.ok(error instanceof ConfigError, `expected ConfigError, got ${String(error)}`);
    assert.equal(error.message, message);
    assert.ok(!error.message.includes("\n"), "message is one line");
    return true;
  });
}

describe("config file: values", () => {
  it("reads a complete file", () => {
    const { server, apps } = fromFile({
      server: {
        host: "127.0.0.1",
        port: 9000,
        path: "/ws/",
        hostname: "ws.example.com",
        pulse_ingest_interval: 15,
        telescope_ingest_interval: 15,
        options: { tls: { local_cert: "/certs/ws.crt", local_pk: "/certs/ws.key", passphrase: "pw", ca: "/certs/ca.pem", verify_peer: true } },
        max_request_size: 50_000,
        metrics: { host: "0.0.0.0", port: 9100 },
        dashboard: { token: "a-long-dashboard-token" },
        scaling: {
          enabled: true,
          channel: "fanout",
          driver: "nats",
          server: {
            url: "redis://r:6380", host: "redis.internal", port: 6380, username: "u", password: "p", database: 4,
            sentinels: ["10.0.0.1:26379", "10.0.0.2:26379"], name: "main", sentinel_password: "sp",
            cluster: "10.0.1.1:7000,10.0.1.2:7000", tls: true, tls_ca: "/certs/redis-ca.pem",
          },
          nats: { url: ["nats://n1:4222", "nats://n2:4222"], user: "nu", password: "np", token: "nt" },
        },
      },
      apps: [
        {
          ...CREDENTIALS,
          allowed_origins: ["laravel.com", "*.laravel.com"],
          ping_interval: 10,
          activity_timeout: 45,
          max_connections: 3,
          max_message_size: 1_000_000,
          max_backlog_bytes: 65_536,
          max_channels_per_connection: 50,
          cache_ttl: 300,
          max_cached_events: 2_000,
          user_authentication_timeout: 15,
          subscription_count: true,
          webhooks: [{ url: "https://example.com/hook", event_types: ["client_event"], headers: { Authorization: "Bearer t" }, filter: { channel_name_starts_with: "private-" } }],
          accept_client_events_from: "all",
          rate_limiting: { enabled: true, max_attempts: 5, decay_seconds: 2, terminate_on_limit: true },
          options: { host: "localhost", port: 443, scheme: "https", useTLS: true },
        },
      ],
    });
    assert.deepEqual(server, {
      host: "127.0.0.1",
      port: 9000,
      path: "/ws",
      hostname: "ws.example.com",
      clientPort: null,
      clientScheme: null,
      maxRequestSize: 50_000,
      tls: { cert: "/certs/ws.crt", key: "/certs/ws.key", passphrase: "pw", ca: "/certs/ca.pem", verifyPeer: true },
      scalingEnabled: true,
      scalingChannel: "fanout",
      scalingDriver: "nats",
      redis: {
        url: "redis://r:6380", host: "redis.internal", port: 6380, username: "u", password: "p", database: 4,
        sentinels: [{ host: "10.0.0.1", port: 26379 }, { host: "10.0.0.2", port: 26379 }], sentinelMaster: "main", sentinelPassword: "sp",
        cluster: [{ host: "10.0.1.1", port: 7000 }, { host: "10.0.1.2", port: 7000 }], tls: true, tlsCa: "/certs/redis-ca.pem",
      },
      nats: { servers: ["nats://n1:4222", "nats://n2:4222"], user: "nu", password: "np", token: "nt" },
      metricsPort: 9100,
      metricsHost: "0.0.0.0",
      dashboardToken: "a-long-dashboard-token",
    });
    assert.deepEqual(apps, [
      {
        id: "123456",
        key: "reverb-key",
        secret: "reverb-secret",
        pingInterval: 10,
        activityTimeout: 45,
        allowedOrigins: ["laravel.com", "*.laravel.com"],
        maxConnections: 3,
        maxMessageSize: 1_000_000,
        maxBacklogBytes: 65_536,
        maxChannelsPerConnection: 50,
        cacheTtl: 300,
        maxCachedEvents: 2_000,
        userAuthenticationTimeout: 15,
        subscriptionCount: true,
        webhooks: [{ url: "https://example.com/hook", eventTypes: ["client_event"], headers: { Authorization: "Bearer t" }, channelNameStartsWith: "private-", channelNameEndsWith: null }],
        acceptClientEventsFrom: "all",
        rateLimiting: { maxAttempts: 5, decaySeconds: 2, terminateOnLimit: true },
      },
    ]);
  });

  it("max_channels_per_connection: 0 means no limit, null or absent the default of 1,000", () => {
    const limit = (value: unknown) => fromFile({ apps: [{ ...CREDENTIALS, max_channels_per_connection: value }] }).apps?.[0]?.maxChannelsPerConnection;
    assert.equal(limit(0), Infinity);
    assert.equal(limit(null), 1_000);
    assert.equal(limit(20), 20);
    assert.equal(fromFile({ apps: [CREDENTIALS] }).apps?.[0]?.maxChannelsPerConnection, 1_000);
  });

  it("an app with only credentials gets config/reverb.php's defaults", () => {
    assert.deepEqual(fromFile({ apps: [CREDENTIALS] }).apps, [
      {
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
      },
    ]);
  });

  it("accepts a numeric app_id and reads it as a string", () => {
    assert.equal(fromFile({ apps: [{ ...CREDENTIALS, app_id: 654321 }] }).apps[0]!.id, "654321");
  });

  it("null values mean unset", () => {
    const { server, apps } = fromFile({
      server: { host: null, port: null, path: null, hostname: null, options: { tls: null }, max_request_size: null, scaling: null },
      apps: [{ ...CREDENTIALS, ping_interval: null, max_connections: null, allowed_origins: null, rate_limiting: null }],
    });
    assert.equal(server.host, "0.0.0.0");
    assert.equal(server.port, 8080);
    assert.equal(server.path, "");
    assert.equal(server.hostname, null);
    assert.equal(server.tls, null);
    assert.equal(server.maxRequestSize, 10_000);
    assert.equal(server.scalingEnabled, false);
    assert.equal(apps[0]!.pingInterval, 60);
    assert.equal(apps[0]!.maxConnections, null);
    assert.deepEqual(apps[0]!.allowedOrigins, ["*"]);
    assert.equal(apps[0]!.rateLimiting, null);
  });

  it("an empty object changes nothing", () => {
    const { server, apps } = fromFile({});
    assert.equal(server.port, 8080);
    assert.deepEqual(apps, []);
  });

  it("rate limiting: enabled with defaults, disabled, or enabled false", () => {
    const app = (rate_limiting: unknown) => fromFile({ apps: [{ ...CREDENTIALS, rate_limiting }] }).apps[0]!.rateLimiting;
    assert.deepEqual(app({ enabled: true }), { maxAttempts: 60, decaySeconds: 60, terminateOnLimit: false });
    assert.equal(app({ enabled: false, max_attempts: 5 }), null);
    assert.equal(app({ max_attempts: 5 }), null);
  });

  it("lists several apps in order", () => {
    const apps = fromFile({ apps: [CREDENTIALS, { app_id: "2", key: "k2", secret: "s2" }] }).apps;
    assert.deepEqual(apps.map((app) => app.id), ["123456", "2"]);
  });
});

describe("config file: TLS paths", () => {
  it("relative certificate paths resolve against the config file's directory", () => {
    const { tls } = fromFile({ server: { options: { tls: { local_cert: "certs/ws.crt", local_pk: "./certs/ws.key", ca: "ca.pem" } } } }).server;
    assert.deepEqual(tls, { cert: "/etc/resound/certs/ws.crt", key: "/etc/resound/./certs/ws.key", passphrase: null, ca: "/etc/resound/ca.pem", verifyPeer: false });
  });

  it("absolute certificate paths stay as they are", () => {
    const { tls } = fromFile({ server: { options: { tls: { local_cert: "/srv/ws.crt", local_pk: "/srv/ws.key" } } } }).server;
    assert.equal(tls?.cert, "/srv/ws.crt");
    assert.equal(tls?.key, "/srv/ws.key");
  });

  it("resolves against a Windows config directory", () => {
    const { tls } = fromFile({ server: { options: { tls: { local_cert: "ws.crt", local_pk: "D:\\keys\\ws.key" } } } }, "C:\\resound\\reverb.json").server;
    assert.equal(tls?.cert, "C:\\resound\\ws.crt");
    assert.equal(tls?.key, "D:\\keys\\ws.key");
  });

  it("TLS without local_cert or local_pk is off", () => {
    assert.equal(fromFile({ server: { options: { tls: { local_cert: null, local_pk: null, verify_peer: false } } } }).server.tls, null);
    assert.equal(fromFile({ server: { options: {} } }).server.tls, null);
  });
});

describe("config file: unknown keys suggest the closest known key", () => {
  it("at the top level", () => {
    assertRejects({ serve: {} }, `Unknown key serve in ${FILE}; did you mean server?`);
  });

  it("in server", () => {
    assertRejects({ server: { prot: 8080 } }, `Unknown key server.prot in ${FILE}; did you mean port?`);
  });

  it("in an app, even when the misspelled key leaves the real one missing", () => {
    assertRejects({ apps: [{ app_id: "1", key: "k", secrett: "s" }] }, `Unknown key apps[0].secrett in ${FILE}; did you mean secret?`);
  });

  it("in an app that has every required key", () => {
    assertRejects({ apps: [{ ...CREDENTIALS, secrett: "s" }] }, `Unknown key apps[0].secrett in ${FILE}; did you mean secret?`);
  });

  it("in server.options.tls", () => {
    assertRejects({ server: { options: { tls: { local_crt: "a.crt" } } } }, `Unknown key server.options.tls.local_crt in ${FILE}; did you mean local_cert?`);
  });

  it("in server.scaling.server and apps[n].rate_limiting", () => {
    assertRejects({ server: { scaling: { server: { prot: 1 } } } }, `Unknown key server.scaling.server.prot in ${FILE}; did you mean port?`);
    assertRejects(
      { apps: [CREDENTIALS, { ...CREDENTIALS, app_id: "2", key: "k2", rate_limiting: { enable: true } }] },
      `Unknown key apps[1].rate_limiting.enable in ${FILE}; did you mean enabled?`,
    );
  });

  it("lists the allowed keys when nothing is close", () => {
    assertRejects(
      { server: { xyzzy: 1 } },
      `Unknown key server.xyzzy in ${FILE}; allowed here: host, port, path, hostname, options, max_request_size, metrics, dashboard, scaling, pulse_ingest_interval, telescope_ingest_interval.`,
    );
  });
});

describe("config file: wrong values name the JSON path, the file, the value and what is allowed", () => {
  const cases: Array<[unknown, string]> = [
    [{ server: { port: "abc" } }, `server.port in ${FILE} is "abc"; it must be an integer from 1 to 65535.`],
    [{ server: { port: 70000 } }, `server.port in ${FILE} is 70000; it must be an integer from 1 to 65535.`],
    [{ server: { host: true } }, `server.host in ${FILE} is true; it must be a host name or IP address.`],
    [{ server: { metrics: { host: "not a host!" } } }, `server.metrics.host in ${FILE} is "not a host!"; it must be a host name or IP address.`],
    [{ server: { max_request_size: -1 } }, `server.max_request_size in ${FILE} is -1; it must be a whole number, 1 or more.`],
    [{ server: { scaling: { enabled: "maybe" } } }, `server.scaling.enabled in ${FILE} is "maybe"; it must be true or false (without quotes).`],
    // The env's strings (yes, "true", 1) are not booleans in JSON, and a string is not a list of origins.
    [{ server: { scaling: { enabled: "yes" } } }, `server.scaling.enabled in ${FILE} is "yes"; it must be true or false (without quotes).`],
    [{ apps: [{ ...CREDENTIALS, subscription_count: "true" }] }, `apps[0].subscription_count in ${FILE} is "true"; it must be true or false (without quotes).`],
    [{ apps: [{ ...CREDENTIALS, rate_limiting: { enabled: "yes" } }] }, `apps[0].rate_limiting.enabled in ${FILE} is "yes"; it must be true or false (without quotes).`],
    [{ server: { options: { tls: { verify_peer: 1 } } } }, `server.options.tls.verify_peer in ${FILE} is 1; it must be true or false (without quotes).`],
    [
      { apps: [{ ...CREDENTIALS, allowed_origins: "example.com" }] },
      `apps[0].allowed_origins in ${FILE} is "example.com"; it must be a list of host patterns such as ["*"] or ["example.com", "*.example.com"].`,
    ],
    [{ server: { scaling: { server: { database: -1 } } } }, `server.scaling.server.database in ${FILE} is -1; it must be a whole number, 0 or more.`],
    [{ server: { scaling: { driver: "kafka" } } }, `server.scaling.driver in ${FILE} is "kafka"; it must be "redis" or "nats".`],
    [{ server: { scaling: { server: { sentinels: ["no-port"] } } } }, `server.scaling.server.sentinels in ${FILE} is ["no-port"]; it must be a comma-separated list of host:port pairs such as "10.0.0.1:26379,10.0.0.2:26379".`],
    [{ apps: [{ ...CREDENTIALS, key: "" }] }, `apps[0].key in ${FILE} is ""; it must be a non-empty string.`],
    [{ apps: [{ ...CREDENTIALS, app_id: true }] }, `apps[0].app_id in ${FILE} is true; it must be a non-empty string.`],
    [{ apps: [{ ...CREDENTIALS, ping_interval: 0 }] }, `apps[0].ping_interval in ${FILE} is 0; it must be a whole number, 1 or more.`],
    [{ apps: [{ ...CREDENTIALS, max_backlog_bytes: 0 }] }, `apps[0].max_backlog_bytes in ${FILE} is 0; it must be a whole number, 1 or more.`],
    [{ apps: [{ ...CREDENTIALS, cache_ttl: 0 }] }, `apps[0].cache_ttl in ${FILE} is 0; it must be a whole number, 1 or more.`],
    [{ apps: [{ ...CREDENTIALS, max_cached_events: 1.5 }] }, `apps[0].max_cached_events in ${FILE} is 1.5; it must be a whole number, 1 or more.`],
    [
      { apps: [{ ...CREDENTIALS, max_channels_per_connection: 1.5 }] },
      `apps[0].max_channels_per_connection in ${FILE} is 1.5; it must be a whole number, 0 or more (0 for no limit).`,
    ],
    [{ apps: [{ ...CREDENTIALS, max_connections: 0 }] }, `apps[0].max_connections in ${FILE} is 0; it must be a whole number, 1 or more.`],
    [
      { apps: [{ ...CREDENTIALS, accept_client_events_from: "everyone" }] },
      `apps[0].accept_client_events_from in ${FILE} is "everyone"; it must be one of "members", "all" or "none".`,
    ],
    [
      { apps: [{ ...CREDENTIALS, allowed_origins: [] }] },
      `apps[0].allowed_origins in ${FILE} is []; it must be a list of host patterns such as ["*"] or ["example.com", "*.example.com"].`,
    ],
    [{ apps: [{ ...CREDENTIALS, rate_limiting: { enabled: "maybe" } }] }, `apps[0].rate_limiting.enabled in ${FILE} is "maybe"; it must be true or false (without quotes).`],
    [{ apps: {} }, `apps in ${FILE} is {}; it must be a list of apps.`],
    [{ apps: "123456" }, `apps in ${FILE} is "123456"; it must be a list of apps.`],
  ];
  for (const [json, message] of cases) {
    it(message.split(" in ")[0]!, () => assertRejects(json, message));
  }

  it("a missing credential says what is expected, in plain words", () => {
    assertRejects({ apps: [{ app_id: "1", key: "k" }] }, `apps[0].secret in ${FILE} is missing; it must be a non-empty string.`);
  });

  it("a top level that is not an object is refused", () => {
    for (const [json, shown] of [["x", '"x"'], [42, "42"], [null, "null"], [[], "[]"], [[{}], "[{}]"]] as const) {
      assertRejects(json, `${FILE} must contain a JSON object with "server" and/or "apps"; found ${shown}.`);
    }
  });
});

/** @module Which broker shape the settings select, how it is named (no passwords), and the settings errors found before connecting. */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DEFAULT_SERVER, type RedisSettings, type ServerSettings } from "../../src/config/config.ts";
import { natsAddress } from "../../src/scaling/connect-nats.ts";
import { connectScaling } from "../../src/scaling/connect-scaling.ts";
import { redisShape } from "../../src/scaling/redis-shape.ts";
import { ScalingUnavailable } from "../../src/scaling/scaling-error.ts";

const redis = (settings: Partial<RedisSettings>): RedisSettings => ({ ...DEFAULT_SERVER.redis, ...settings });
const server = (settings: Partial<ServerSettings>): ServerSettings => ({ ...DEFAULT_SERVER, scalingEnabled: true, ...settings });
const noFiles = { readTextFile: () => undefined, warn: () => {} };

describe("redis shape", () => {
  it("host/port by default, the URL when set (password hidden), TLS from rediss:// or the settings", () => {
    assert.equal(redisShape(redis({})).target, "Redis at redis://127.0.0.1:6379");
    assert.equal(redisShape(redis({ database: 2 })).target, "Redis at redis://127.0.0.1:6379/2");
    assert.equal(redisShape(redis({ url: "redis://app:secret@cache:6380/1" })).target, "Redis at redis://app:***@cache:6380/1");
    assert.deepEqual([redisShape(redis({ url: "rediss://cache:6380" })).target, redisShape(redis({ url: "rediss://cache:6380" })).tls], ["Redis at rediss://cache:6380", true]);
    assert.equal(redisShape(redis({ tls: true })).target, "Redis at redis://127.0.0.1:6379 over TLS");
    assert.equal(redisShape(redis({ tlsCa: "/ca.pem" })).tls, true);
    assert.equal(redisShape(redis({})).tls, false);
  });

  it("sentinels win over the URL, and a cluster over everything", () => {
    const sentinels = [{ host: "10.0.0.1", port: 26379 }, { host: "::1", port: 26380 }];
    const sentinel = redisShape(redis({ url: "redis://x:1", sentinels, sentinelMaster: "main" }));
    assert.equal(sentinel.kind, "sentinel");
    assert.equal(sentinel.target, 'Redis master "main" via sentinels 10.0.0.1:26379,[::1]:26380');
    assert.match(sentinel.hint, /REDIS_SENTINELS, REDIS_SENTINEL_MASTER and REDIS_SENTINEL_PASSWORD/);
    const cluster = redisShape(redis({ url: "redis://x:1", cluster: [{ host: "10.0.1.1", port: 7000 }], tls: true }));
    assert.equal(cluster.kind, "cluster");
    assert.equal(cluster.target, "Redis Cluster at 10.0.1.1:7000 over TLS");
    assert.match(cluster.hint, /REDIS_CLUSTER \(server\.scaling\.server\.cluster\).*REDIS_TLS_CA/);
  });

  it("NATS addresses hide passwords and tokens", () => {
    assert.equal(natsAddress({ ...DEFAULT_SERVER.nats, servers: ["nats://u:p@n1:4222", "nats://tok@n2:4222", "n3:4222"] }), "nats://u:***@n1:4222,nats://***@n2:4222,n3:4222");
  });
});

describe("scaling settings refused before connecting, in one line naming the setting", () => {
  it("a Cluster and sentinels at once", async () => {
    await assert.rejects(
      connectScaling(server({ redis: redis({ cluster: [{ host: "a", port: 1 }], sentinels: [{ host: "b", port: 2 }] }) }), noFiles),
      (error: Error) => error instanceof ScalingUnavailable && /^Both REDIS_CLUSTER .* and REDIS_SENTINELS .* are set/.test(error.message),
    );
  });

  it("a CA file that cannot be read, or holds no certificate", async () => {
    await assert.rejects(connectScaling(server({ redis: redis({ tlsCa: "/nowhere/ca.pem" }) }), noFiles),
      { message: 'REDIS_TLS_CA (server.scaling.server.tls_ca) is "/nowhere/ca.pem", which cannot be read; give the PEM file of the CA that signed Redis\'s certificate.' });
    await assert.rejects(connectScaling(server({ redis: redis({ tlsCa: "/x.pem" }) }), { ...noFiles, readTextFile: () => "not a certificate" }),
      /which holds no PEM certificate/);
  });

  it("a channel that is no NATS subject", async () => {
    for (const channel of ["with space", "wild.*", "tail.>", "a..b", ".lead"]) {
      await assert.rejects(connectScaling(server({ scalingDriver: "nats", scalingChannel: channel }), noFiles),
        (error: Error) => error instanceof ScalingUnavailable && error.message.startsWith(`REVERB_SCALING_CHANNEL (server.scaling.channel) is ${JSON.stringify(channel)}, which is no NATS subject`), channel);
    }
  });
});

/** @module Opening a connection: connection_established, unknown keys, max_connections, origins, message size, after close. */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { App } from "../../src/apps/app.ts";
import { createTestCore } from "../support/harness.ts";
import { APP_A, APP_B, APP_C } from "../support/fixtures.ts";

/** The exact `pusher:error` frame for a code and message. */
function errorRaw(code: number, message: string): string {
  return JSON.stringify({ event: "pusher:error", data: JSON.stringify({ code, message }) });
}

const PONG = '{"event":"pusher:pong"}';
const TOO_BIG = { code: 1009, reason: "Maximum message size exceeded" };

/** A pusher:ping message of exactly `bytes` UTF-8 bytes, padded with `pad` (a 1- or 2-byte character). */
function pingOfBytes(bytes: number, pad = "a"): string {
  const head = '{"event":"pusher:ping","data":{"x":"';
  const tail = '"}}';
  const padBytes = new TextEncoder().encode(pad).length;
  const room = bytes - head.length - tail.length;
  const text = head + pad.repeat(Math.floor(room / padBytes)) + "a".repeat(room % padBytes) + tail;
  assert.equal(new TextEncoder().encode(text).length, bytes);
  return text;
}

describe("connection_established", () => {
  it("is the first frame, with a socket id of two integers and the app's activity_timeout", () => {
    const { connect } = createTestCore();
    const client = connect(APP_A);
    const raw = client.takeRaw();
    assert.equal(raw.length, 1);
    assert.match(client.socketId, /^\d+\.\d+$/);
    assert.equal(
      raw[0],
      `{"event":"pusher:connection_established","data":"{\\"socket_id\\":\\"${client.socketId}\\",\\"activity_timeout\\":30}"}`,
    );
    assert.equal(client.socket.closedWith, undefined);
  });

  it("gives every connection its own socket id", () => {
    const { connect } = createTestCore();
    const ids = new Set([connect(APP_A), connect(APP_A), connect(APP_C, "http://laravel.com")].map((c) => c.socketId));
    assert.equal(ids.size, 3);
  });

  it("advertises a non-default activity_timeout", () => {
    const app: App = { ...APP_A, activityTimeout: 120 };
    const { connect } = createTestCore({ apps: [app] });
    const client = connect(app);
    assert.deepEqual(client.take()[0]?.data, { socket_id: client.socketId, activity_timeout: 120 });
  });

  it("connects to different apps on one core", () => {
    const { connect } = createTestCore();
    for (const [app, origin] of [[APP_A, null], [APP_B, null], [APP_C, "http://laravel.com"]] as const) {
      const [frame] = connect(app, origin).take();
      assert.equal(frame?.event, "pusher:connection_established");
    }
  });
});

describe("unknown app key", () => {
  it("sends 4001 and closes with 4001, with nothing else", () => {
    const { connect } = createTestCore();
    const client = connect("not-a-key");
    assert.deepEqual(client.takeRaw(), [errorRaw(4001, "Application does not exist")]);
    assert.equal(client.socket.closedWith?.code, 4001);
  });

  it("ignores anything the client sends afterwards", () => {
    const { connect } = createTestCore();
    const client = connect("not-a-key");
    client.take();
    client.send({ event: "pusher:ping" });
    client.send({ event: "pusher:subscribe", data: { channel: "test-channel" } });
    assert.deepEqual(client.takeRaw(), []);
  });
});

describe("max_connections", () => {
  it("rejects a second connection to app B with 4004 and close 4004", () => {
    const { connect } = createTestCore();
    const first = connect(APP_B);
    first.subscribe("test-channel");
    const second = connect(APP_B);
    assert.deepEqual(second.takeRaw(), [errorRaw(4004, "Application is over connection quota")]);
    assert.equal(second.socket.closedWith?.code, 4004);
    assert.equal(first.socket.closedWith, undefined);
  });

  it("counts connections that never subscribed", () => {
    const { connect } = createTestCore();
    connect(APP_B);
    const second = connect(APP_B);
    assert.deepEqual(second.takeRaw(), [errorRaw(4004, "Application is over connection quota")]);
    assert.equal(second.socket.closedWith?.code, 4004);
  });

  it("serves nothing to a rejected connection", () => {
    const { core, connect } = createTestCore();
    connect(APP_B);
    const second = connect(APP_B);
    second.take();
    second.send({ event: "pusher:subscribe", data: { channel: "test-channel" } });
    second.send({ event: "pusher:ping" });
    assert.deepEqual(second.takeRaw(), []);
    assert.equal(core.hub.state(APP_B).channels.channels.size, 0);
  });

  it("frees the slot when the first connection closes", () => {
    const { connect } = createTestCore();
    const first = connect(APP_B);
    first.disconnect();
    const second = connect(APP_B);
    assert.equal(second.take()[0]?.event, "pusher:connection_established");
    assert.equal(second.socket.closedWith, undefined);
  });

  it("counts per app: app A is unaffected by app B's quota", () => {
    const { connect } = createTestCore();
    connect(APP_B);
    assert.equal(connect(APP_A).take()[0]?.event, "pusher:connection_established");
  });

  it("checks the limit before the origin", () => {
    const app: App = { ...APP_C, maxConnections: 1 };
    const { connect } = createTestCore({ apps: [app] });
    connect(app, "http://laravel.com");
    const second = connect(app, "http://evil.example");
    assert.deepEqual(second.takeRaw(), [errorRaw(4004, "Application is over connection quota")]);
    assert.equal(second.socket.closedWith?.code, 4004);
  });
});

describe("allowed_origins", () => {
  const cases: Array<[allowed: string[], origin: string | null, accepted: boolean]> = [
    [["laravel.com"], "http://localhost", false],
    [["laravel.com"], "http://sub.laravel.com", false],
    [["*.laravel.com"], "http://laravel.com", false],
    [["localhost"], "http://localhost", true],
    [["localhost", "*.localhost"], "http://sub.localhost", true],
    [["laravel.com"], "http://laravel.com", true],
    [["laravel.com"], "https://laravel.com:8443", true],
    [["*.laravel.com"], "https://a.b.laravel.com", true],
    [["laravel.com"], "http://LARAVEL.COM.evil.example", false],
    [["https://laravel.com"], "https://laravel.com", false],
    [["laravel.com:443"], "https://laravel.com", false],
    [["laravel.com"], null, false],
    [["laravel.com"], "not a url", false],
    [["*"], null, true],
    [["laravel.com", "*"], "http://anything.example", true],
  ];

  for (const [allowed, origin, accepted] of cases) {
    it(`${accepted ? "accepts" : "rejects"} Origin ${origin ?? "(missing)"} for ${JSON.stringify(allowed)}`, () => {
      const app: App = { ...APP_A, allowedOrigins: allowed };
      const { connect } = createTestCore({ apps: [app] });
      const client = connect(app, origin);
      if (accepted) {
        assert.equal(client.take()[0]?.event, "pusher:connection_established");
        assert.equal(client.socket.closedWith, undefined);
      } else {
        assert.deepEqual(client.takeRaw(), [errorRaw(4009, "Origin not allowed")]);
        assert.equal(client.socket.closedWith?.code, 4009);
      }
    });
  }

  it("accepts app C from http://laravel.com and rejects it without an Origin", () => {
    const { connect } = createTestCore();
    assert.equal(connect(APP_C, "http://laravel.com").take()[0]?.event, "pusher:connection_established");
    const rejected = connect(APP_C);
    assert.deepEqual(rejected.takeRaw(), [errorRaw(4009, "Origin not allowed")]);
    assert.equal(rejected.socket.closedWith?.code, 4009);
    rejected.send({ event: "pusher:ping" });
    assert.deepEqual(rejected.takeRaw(), []);
  });

  it("does not count a connection refused for its origin", () => {
    const app: App = { ...APP_C, maxConnections: 1 };
    const { connect } = createTestCore({ apps: [app] });
    connect(app, "http://evil.example");
    assert.equal(connect(app, "http://laravel.com").take()[0]?.event, "pusher:connection_established");
  });
});

describe("max_message_size", () => {
  it("closes app C's connection with 1009 for a 2-byte message, without an error frame", () => {
    const { connect } = createTestCore();
    const client = connect(APP_C, "http://laravel.com");
    client.take();
    client.send("{}");
    assert.deepEqual(client.socket.closedWith, TOO_BIG);
    assert.deepEqual(client.takeRaw(), []);
  });

  it("lets app C's 1-byte message through to the parser", () => {
    const { connect } = createTestCore();
    const client = connect(APP_C, "http://laravel.com");
    client.take();
    client.send("x");
    assert.deepEqual(client.takeRaw(), [errorRaw(4200, "Invalid message format")]);
    assert.equal(client.socket.closedWith, undefined);
  });

  it("accepts exactly 10000 bytes on app A and closes at 10001", () => {
    const { connect } = createTestCore();
    const client = connect(APP_A);
    client.take();
    client.send(pingOfBytes(10_000));
    assert.deepEqual(client.takeRaw(), [PONG]);
    assert.equal(client.socket.closedWith, undefined);
    client.send(pingOfBytes(10_001));
    assert.deepEqual(client.socket.closedWith, TOO_BIG);
    assert.deepEqual(client.takeRaw(), []);
  });

  it("counts UTF-8 bytes, not characters", () => {
    const { connect } = createTestCore();
    const fits = connect(APP_A);
    fits.take();
    fits.send(pingOfBytes(10_000, "é"));
    assert.deepEqual(fits.takeRaw(), [PONG]);
    const over = connect(APP_A);
    over.take();
    const text = pingOfBytes(10_001, "é");
    assert.ok(text.length < 10_000);
    over.send(text);
    assert.deepEqual(over.socket.closedWith, TOO_BIG);
    assert.deepEqual(over.takeRaw(), []);
  });

  it("rejects app A's subscribe with ~10100 bytes of channel_data", () => {
    const { connect } = createTestCore();
    const client = connect(APP_A);
    client.take();
    client.send({ event: "pusher:subscribe", data: { channel: "test-channel", channel_data: "x".repeat(10_100) } });
    assert.deepEqual(client.socket.closedWith, TOO_BIG);
  });

  it("accepts 20000 bytes of channel_data on app B (1 MB limit)", () => {
    const { connect } = createTestCore();
    const client = connect(APP_B);
    client.take();
    const channelData = JSON.stringify({ x: "y".repeat(20_000) });
    client.send({ event: "pusher:subscribe", data: { channel: "test-channel", channel_data: channelData } });
    assert.deepEqual(client.takeRaw(), [
      '{"event":"pusher_internal:subscription_succeeded","data":"{}","channel":"test-channel"}',
    ]);
  });

  it("handles binary messages like text, limit included", () => {
    const { connect } = createTestCore();
    const client = connect(APP_A);
    client.take();
    const bytes = new TextEncoder().encode(JSON.stringify({ event: "pusher:subscribe", data: { channel: "bin" } }));
    client.connection.message(bytes);
    assert.deepEqual(client.takeRaw(), ['{"event":"pusher_internal:subscription_succeeded","data":"{}","channel":"bin"}']);
    client.connection.message(new TextEncoder().encode('{"event":"pusher:ping"}').buffer);
    assert.deepEqual(client.takeRaw(), [PONG]);
    client.connection.message(new TextEncoder().encode(pingOfBytes(10_001)));
    assert.deepEqual(client.socket.closedWith, TOO_BIG);
    assert.deepEqual(client.takeRaw(), []);
  });
});

describe("after close", () => {
  it("ignores messages once the transport closed and leaves its channels", () => {
    const { core, connect } = createTestCore();
    const client = connect(APP_A);
    client.subscribe("test-channel");
    client.disconnect();
    client.send({ event: "pusher:ping" });
    client.send({ event: "pusher:subscribe", data: { channel: "other" } });
    assert.deepEqual(client.takeRaw(), []);
    assert.equal(core.hub.state(APP_A).channels.channels.size, 0);
    assert.equal(core.hub.state(APP_A).connections.size, 0);
  });

  it("ignores messages after the server closed it for size", () => {
    const { connect } = createTestCore();
    const client = connect(APP_A);
    client.take();
    client.send(pingOfBytes(10_001));
    client.send({ event: "pusher:ping" });
    assert.deepEqual(client.takeRaw(), []);
  });

  it("tolerates a repeated close", () => {
    const { core, connect } = createTestCore();
    const client = connect(APP_A);
    client.disconnect();
    client.disconnect();
    assert.equal(core.hub.state(APP_A).connections.size, 0);
  });
});

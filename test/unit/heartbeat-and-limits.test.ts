/** @module Heartbeat (ping after ping_interval, 4201 after another), pusher:ping/pong, and per-connection rate limiting. */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { App, RateLimit } from "../../src/apps/app.ts";
import { createTestCore, type TestClient } from "../support/harness.ts";
import { APP_A, APP_B } from "../support/fixtures.ts";

function errorRaw(code: number, message: string): string {
  return JSON.stringify({ event: "pusher:error", data: JSON.stringify({ code, message }) });
}

const PING = '{"event":"pusher:ping"}';
const PONG = '{"event":"pusher:pong"}';
const PONG_TIMEOUT = errorRaw(4201, "Pong reply not received in time");
const RATE_LIMITED = errorRaw(4301, "Rate limit exceeded");

function setup(apps?: App[]) {
  const env = createTestCore(apps ? { apps } : {});
  const client = (app: App = APP_A): TestClient => {
    const c = env.connect(app);
    c.take();
    return c;
  };
  return { ...env, client };
}

describe("heartbeat", () => {
  it("pings app A's silent connection after exactly 60 s, once", () => {
    const { clock, client } = setup();
    const c = client();
    c.subscribe("test-channel");
    clock.advance(59_999);
    assert.deepEqual(c.takeRaw(), []);
    clock.advance(1);
    assert.deepEqual(c.takeRaw(), [PING]);
    clock.advance(30_000);
    assert.deepEqual(c.takeRaw(), []);
    assert.equal(c.socket.pings, 0);
  });

  it("pings app B's connection after 10 s", () => {
    const { clock, client } = setup();
    const c = client(APP_B);
    clock.advance(9_000);
    assert.deepEqual(c.takeRaw(), []);
    clock.advance(1_000);
    assert.deepEqual(c.takeRaw(), [PING]);
  });

  it("pings connections that never subscribed", () => {
    const { clock, client } = setup();
    const c = client();
    clock.advance(60_000);
    assert.deepEqual(c.takeRaw(), [PING]);
  });

  it("pings every inactive connection", () => {
    const { clock, client } = setup();
    const clients = Array.from({ length: 5 }, (_, i) => {
      const c = client();
      c.subscribe(`channel-${i % 2}`);
      return c;
    });
    clock.advance(60_000);
    for (const c of clients) assert.deepEqual(c.takeRaw(), [PING]);
  });

  it("sends 4201 and closes with 4201 when still silent one interval after the ping", () => {
    const { clock, client } = setup();
    const c = client();
    clock.advance(60_000);
    c.take();
    clock.advance(59_999);
    assert.deepEqual(c.takeRaw(), []);
    assert.equal(c.socket.closedWith, undefined);
    clock.advance(1);
    assert.deepEqual(c.takeRaw(), [PONG_TIMEOUT]);
    assert.deepEqual(c.socket.closedWith, { code: 4201, reason: "Pong reply not received in time" });
  });

  it("drops a timed-out connection from its channels and tells presence members", () => {
    const { core, clock, client } = setup();
    const dead = client();
    dead.subscribe("presence-room", { channelData: { user_id: 1 } });
    dead.subscribe("test-channel");
    clock.advance(60_000);
    const alive = client();
    alive.subscribe("presence-room", { channelData: { user_id: 2 } });
    clock.advance(59_000); // alive pongs in time, dead does not
    alive.send({ event: "pusher:pong" });
    alive.take();
    clock.advance(1_000);
    assert.deepEqual(dead.takeRaw().slice(-1), [PONG_TIMEOUT]);
    assert.deepEqual(alive.takeRaw(), [
      '{"event":"pusher_internal:member_removed","data":"{\\"user_id\\":1}","channel":"presence-room"}',
    ]);
    assert.equal(core.hub.state(APP_A).channels.channels.has("test-channel"), false);
    assert.equal(core.hub.state(APP_A).connections.size, 1);
  });

  it("does not time out a connection that answers the ping with pusher:pong", () => {
    const { clock, client } = setup();
    const c = client();
    clock.advance(60_000);
    c.take();
    clock.advance(5_000);
    c.send({ event: "pusher:pong" });
    assert.deepEqual(c.takeRaw(), []);
    clock.advance(59_000);
    assert.deepEqual(c.takeRaw(), []);
    clock.advance(1_000);
    assert.deepEqual(c.takeRaw(), [PING]);
    assert.equal(c.socket.closedWith, undefined);
  });

  it("counts any message, even an invalid one, as activity", () => {
    const { clock, client } = setup();
    const c = client();
    clock.advance(30_000);
    c.send("not json");
    c.take();
    clock.advance(59_000);
    assert.deepEqual(c.takeRaw(), []);
    clock.advance(1_000);
    assert.deepEqual(c.takeRaw(), [PING]);
    clock.advance(30_000);
    c.send({ event: "client-x", channel: "test-channel" });
    c.take();
    clock.advance(60_000);
    assert.equal(c.socket.closedWith, undefined);
  });

  it("pings with control frames once the client sent a pong control frame", () => {
    const { clock, client } = setup();
    const c = client();
    c.connection.control("pong");
    clock.advance(60_000);
    assert.equal(c.socket.pings, 1);
    assert.deepEqual(c.takeRaw(), []);
    clock.advance(60_000);
    assert.deepEqual(c.takeRaw(), [PONG_TIMEOUT]);
    assert.equal(c.socket.closedWith?.code, 4201);
  });

  it("pings with control frames once the client sent a ping control frame, and a control pong resets", () => {
    const { clock, client } = setup();
    const c = client();
    clock.advance(10_000);
    c.connection.control("ping");
    clock.advance(59_000);
    assert.equal(c.socket.pings, 0);
    clock.advance(1_000);
    assert.equal(c.socket.pings, 1);
    clock.advance(30_000);
    c.connection.control("pong");
    clock.advance(59_000);
    assert.equal(c.socket.pings, 1);
    clock.advance(1_000);
    assert.equal(c.socket.pings, 2);
    assert.deepEqual(c.takeRaw(), []);
    assert.equal(c.socket.closedWith, undefined);
  });

  it("uses text pings by default", () => {
    const { clock, client } = setup();
    const c = client();
    c.send({ event: "pusher:ping" });
    c.take();
    clock.advance(60_000);
    assert.equal(c.socket.pings, 0);
    assert.deepEqual(c.takeRaw(), [PING]);
  });
});

describe("pusher:ping and friends", () => {
  it("answers pusher:ping with an exact pusher:pong, whatever its data", () => {
    const { client } = setup();
    const c = client();
    c.send({ event: "pusher:ping" });
    c.send({ event: "pusher:ping", data: { x: 1 } });
    c.send({ event: "pusher:ping", data: "{}" });
    assert.deepEqual(c.takeRaw(), [PONG, PONG, PONG]);
  });

  it("sends nothing for pusher:pong", () => {
    const { client } = setup();
    const c = client();
    c.send({ event: "pusher:pong" });
    assert.deepEqual(c.takeRaw(), []);
  });

  it("repeats connection_established with the same socket id when the client sends one", () => {
    const { connect } = createTestCore();
    const c = connect(APP_A);
    const [first] = c.takeRaw();
    c.send({ event: "pusher:connection_established" });
    assert.deepEqual(c.takeRaw(), [first]);
  });
});

describe("rate limiting", () => {
  const limited = (limit: RateLimit): App => ({ ...APP_A, rateLimiting: limit });
  const subscribe = (c: TestClient, channel: string) => c.send({ event: "pusher:subscribe", data: { channel } });
  const succeeded = (channel: string) =>
    `{"event":"pusher_internal:subscription_succeeded","data":"{}","channel":"${channel}"}`;

  it("allows max_attempts messages and rejects the next with an exact 4301, without processing it", () => {
    const app = limited({ maxAttempts: 3, decaySeconds: 1, terminateOnLimit: false });
    const { core, client } = setup([app]);
    const c = client(app);
    for (const channel of ["a", "b", "c"]) subscribe(c, channel);
    assert.deepEqual(c.takeRaw(), [succeeded("a"), succeeded("b"), succeeded("c")]);
    subscribe(c, "d");
    c.send({ event: "pusher:ping" });
    assert.deepEqual(c.takeRaw(), [RATE_LIMITED, RATE_LIMITED]);
    assert.equal(core.hub.state(app).channels.channels.has("d"), false);
    assert.equal(c.socket.closedWith, undefined);
  });

  it("opens a new window after decay_seconds; rejected messages do not count", () => {
    const app = limited({ maxAttempts: 3, decaySeconds: 1, terminateOnLimit: false });
    const { clock, client } = setup([app]);
    const c = client(app);
    for (let i = 0; i < 3; i++) c.send({ event: "pusher:ping" });
    clock.advance(500);
    for (let i = 0; i < 10; i++) c.send({ event: "pusher:ping" });
    clock.advance(499);
    c.send({ event: "pusher:ping" });
    assert.deepEqual(c.takeRaw(), [PONG, PONG, PONG, ...Array<string>(11).fill(RATE_LIMITED)]);
    clock.advance(1);
    for (let i = 0; i < 4; i++) c.send({ event: "pusher:ping" });
    assert.deepEqual(c.takeRaw(), [PONG, PONG, PONG, RATE_LIMITED]);
  });

  it("counts client events and invalid messages against the limit", () => {
    const app = limited({ maxAttempts: 2, decaySeconds: 60, terminateOnLimit: false });
    const { client } = setup([app]);
    const c = client(app);
    c.send("garbage");
    c.send({ event: "client-x", channel: "private-x" });
    c.send({ event: "pusher:ping" });
    assert.deepEqual(c.takeRaw().slice(-1), [RATE_LIMITED]);
  });

  it("does not count control frames", () => {
    const app = limited({ maxAttempts: 1, decaySeconds: 60, terminateOnLimit: false });
    const { client } = setup([app]);
    const c = client(app);
    c.connection.control("ping");
    c.connection.control("pong");
    c.send({ event: "pusher:ping" });
    assert.deepEqual(c.takeRaw(), [PONG]);
  });

  it("with terminate_on_limit sends the 4301 frame, then closes with 4301 and leaves its channels", () => {
    const app = limited({ maxAttempts: 1, decaySeconds: 1, terminateOnLimit: true });
    const { core, client } = setup([app]);
    const c = client(app);
    subscribe(c, "a");
    subscribe(c, "b");
    assert.deepEqual(c.takeRaw(), [succeeded("a"), RATE_LIMITED]);
    assert.deepEqual(c.socket.closedWith, { code: 4301, reason: "Rate limit exceeded" });
    assert.equal(core.hub.state(app).channels.channels.size, 0);
    c.send({ event: "pusher:ping" });
    assert.deepEqual(c.takeRaw(), []);
  });

  it("limits each connection separately", () => {
    const app = limited({ maxAttempts: 1, decaySeconds: 60, terminateOnLimit: false });
    const { client } = setup([app]);
    const one = client(app);
    const two = client(app);
    one.send({ event: "pusher:ping" });
    two.send({ event: "pusher:ping" });
    assert.deepEqual([one.takeRaw(), two.takeRaw()], [[PONG], [PONG]]);
  });

  it("without rate limiting, 10 subscribes give 11 frames including connection_established", () => {
    const { connect } = createTestCore();
    const c = connect(APP_A);
    for (let i = 0; i < 10; i++) subscribe(c, `channel-${i}`);
    assert.equal(c.takeRaw().length, 11);
  });
});

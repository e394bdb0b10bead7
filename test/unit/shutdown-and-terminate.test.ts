/** @module Server-initiated disconnects: hub.shutdown() (4200 to everyone) and hub.terminateUser() (4009 to one user). */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createTestCore, type TestClient } from "../support/harness.ts";
import { APP_A, APP_B, APP_C } from "../support/fixtures.ts";

function errorRaw(code: number, message: string): string {
  return JSON.stringify({ event: "pusher:error", data: JSON.stringify({ code, message }) });
}

const SHUTTING_DOWN = errorRaw(4200, "Server is shutting down, please reconnect");
const TERMINATED = errorRaw(4009, "Connection terminated by the app");

describe("shutdown", () => {
  it("sends every connection of every app the 4200 frame and closes it with 4200", () => {
    const { core, connect } = createTestCore();
    const subscribed = connect(APP_A);
    subscribed.subscribe("test-channel");
    const idle = connect(APP_A);
    const appB = connect(APP_B);
    const appC = connect(APP_C, "http://laravel.com");
    const clients = [subscribed, idle, appB, appC];
    for (const c of clients) c.take();
    core.hub.shutdown();
    for (const c of clients) {
      assert.deepEqual(c.takeRaw(), [SHUTTING_DOWN]);
      assert.equal(c.socket.closedWith?.code, 4200);
    }
    assert.equal(core.hub.state(APP_A).connections.size, 0);
    assert.equal(core.hub.state(APP_A).channels.channels.size, 0);
  });

  it("stops the heartbeat and serves nothing afterwards", () => {
    const { core, clock, connect } = createTestCore();
    const c = connect(APP_A);
    c.take();
    assert.equal(clock.periodicTimers, 1, "the heartbeat sweep runs");
    core.hub.shutdown();
    assert.equal(clock.periodicTimers, 0, "and is stopped");
    c.take();
    c.send({ event: "pusher:ping" });
    clock.advance(180_000);
    assert.deepEqual(c.takeRaw(), []);
    assert.equal(c.socket.pings, 0);
  });

  it("tells a connection that opens after shutdown began to reconnect elsewhere (4200), without registering it", () => {
    const { core, connect } = createTestCore();
    core.hub.shutdown();
    const late = connect(APP_A);
    assert.deepEqual(late.takeRaw(), [SHUTTING_DOWN]);
    assert.equal(late.socket.closedWith?.code, 4200);
    assert.equal(core.hub.state(APP_A).connections.size, 0);
    const unknown = connect("no-such-key");
    assert.equal(unknown.socket.closedWith?.code, 4001, "an unknown key is still told so");
  });

  it("leaves already rejected connections alone", () => {
    const { core, connect } = createTestCore();
    const rejected = connect(APP_C);
    rejected.take();
    core.hub.shutdown();
    assert.deepEqual(rejected.takeRaw(), []);
  });
});

describe("terminateUser", () => {
  function setup() {
    const env = createTestCore();
    const member = (userId: unknown, app = APP_A): TestClient => {
      const c = env.connect(app);
      c.subscribe("presence-test-channel", { channelData: { user_id: userId } });
      c.subscribe("test-channel");
      c.take();
      return c;
    };
    return { ...env, member };
  }

  it("closes the user's connections with 4009 and keeps the others subscribed", () => {
    const { core, member } = setup();
    const u123 = member(123);
    const u456 = member(456);
    u123.take();
    assert.equal(core.hub.terminateUser(APP_A, "456"), 1);
    assert.deepEqual(u456.takeRaw(), [TERMINATED]);
    assert.equal(u456.socket.closedWith?.code, 4009);
    assert.equal(u123.socket.closedWith, undefined);
    const channels = core.hub.state(APP_A).channels.channels;
    assert.equal(channels.get("presence-test-channel")?.subscribers.size, 1);
    assert.equal(channels.get("test-channel")?.subscribers.size, 1);
    assert.deepEqual(u123.takeRaw(), [
      '{"event":"pusher_internal:member_removed","data":"{\\"user_id\\":456}","channel":"presence-test-channel"}',
    ]);
  });

  it("closes every socket of the user, matching string and number ids", () => {
    const { core, member } = setup();
    const a = member("456");
    const b = member(456);
    const other = member(4567);
    assert.equal(core.hub.terminateUser(APP_A, "456"), 2);
    for (const c of [a, b]) assert.equal(c.socket.closedWith?.code, 4009);
    assert.equal(other.socket.closedWith, undefined);
  });

  it("matches signed user_id on private channels but not self-asserted ones on public channels", () => {
    const { core, connect } = createTestCore();
    const signed = connect(APP_A);
    signed.subscribe("private-room", { channelData: { user_id: "456" } });
    const unsigned = connect(APP_A);
    unsigned.subscribe("test-channel", { channelData: { user_id: "456" } });
    assert.equal(core.hub.terminateUser(APP_A, "456"), 1);
    assert.equal(signed.socket.closedWith?.code, 4009);
    assert.equal(unsigned.socket.closedWith, undefined);
  });

  it("only touches the given app", () => {
    const { core, member } = setup();
    const inB = member(456, APP_B);
    assert.equal(core.hub.terminateUser(APP_A, "456"), 0);
    assert.equal(inB.socket.closedWith, undefined);
  });

  it("returns 0 for an unknown user", () => {
    const { core, member } = setup();
    member(1);
    assert.equal(core.hub.terminateUser(APP_A, "nobody"), 0);
  });
});

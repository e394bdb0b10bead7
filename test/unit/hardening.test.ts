/** @module Security hardening in the core: channel limits per connection, truncated channel auth, unknown keys, log throttling. */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { App } from "../../src/apps/app.ts";
import { UNKNOWN_APP_MESSAGE_LIMIT } from "../../src/protocol/connection.ts";
import { LogThrottle } from "../../src/support/log-throttle.ts";
import { FakeClock } from "../support/fake-clock.ts";
import { APP_A } from "../support/fixtures.ts";
import { createTestCore, validAuth } from "../support/harness.ts";
import { channelCount } from "../../src/protocol/connection-channels.ts";

const LIMITED: App = { ...APP_A, maxChannelsPerConnection: 3 };
const tooMany = (limit: number) =>
  JSON.stringify({
    event: "pusher:error",
    data: JSON.stringify({ code: 4300, message: `Too many channels: a connection may be subscribed to at most ${limit} (max_channels_per_connection)` }),
  });

describe("max_channels_per_connection", () => {
  it("refuses the subscription past the limit with a 4300 error naming it; the connection stays usable", () => {
    const { connect, core } = createTestCore({ apps: [LIMITED] });
    const client = connect(LIMITED);
    client.take();
    for (const name of ["a", "b", "c"]) assert.equal(client.subscribe(name)[0]?.event, "pusher_internal:subscription_succeeded");
    assert.deepEqual(client.subscribe("d").map((f) => f.raw), [tooMany(3)]);
    assert.equal(core.hub.state(LIMITED).channels.find("d"), undefined, "no trace of the refused channel");
    assert.equal(client.subscribe("b")[0]?.event, "pusher_internal:subscription_succeeded", "re-subscribing is not a new channel");
    client.send({ event: "pusher:unsubscribe", data: { channel: "a" } });
    assert.equal(client.subscribe("d")[0]?.event, "pusher_internal:subscription_succeeded", "room again after leaving one");
    assert.equal(client.connection.isClosed, false);
  });

  it("counts per connection, not per app", () => {
    const { connect } = createTestCore({ apps: [LIMITED] });
    for (let i = 0; i < 3; i++) {
      const client = connect(LIMITED);
      client.take();
      for (const name of ["a", "b", "c"]) assert.equal(client.subscribe(name)[0]?.event, "pusher_internal:subscription_succeeded");
    }
  });

  it("has a default of 1,000, and Infinity (0 in the config) means no limit", () => {
    const { connect } = createTestCore({ apps: [APP_A, { ...APP_A, id: "2", key: "unlimited", maxChannelsPerConnection: Infinity }] });
    const limited = connect(APP_A);
    const unlimited = connect("unlimited");
    limited.take();
    unlimited.take();
    for (let i = 0; i < 1_000; i++) limited.subscribe(`c${i}`);
    assert.deepEqual(limited.subscribe("one-more").map((f) => f.raw), [tooMany(1_000)]);
    for (let i = 0; i < 1_500; i++) unlimited.subscribe(`c${i}`);
    assert.equal(channelCount(unlimited.connection.channels), 1_500);
  });

  it("gives everything back when the connection leaves: no channel, no connection (cached events stay, bounded, until cache_ttl)", () => {
    const { connect, core } = createTestCore();
    const client = connect(APP_A);
    for (let i = 0; i < 1_000; i++) client.subscribe(i % 2 ? `public-${i}` : `cache-${i}`);
    core.hub.publish(APP_A, { name: "e", data: "{}", channels: ["cache-0", "cache-2"] });
    const state = core.hub.state(APP_A);
    assert.equal(state.channels.channels.size, 1_000);
    assert.equal(state.channels.cache.size, 2);
    client.disconnect();
    assert.deepEqual([state.channels.channels.size, state.channels.cache.size, state.connections.size], [0, 2, 0]);
  });
});

describe("channel auth is compared whole", () => {
  it("refuses `key:`, a truncated signature and a signature with extra characters", () => {
    const { connect } = createTestCore();
    const client = connect(APP_A);
    client.take();
    const valid = validAuth(APP_A, client.socketId, "private-room");
    for (const auth of [`${APP_A.key}:`, valid.slice(0, -1), valid.slice(0, APP_A.key.length + 2), `${valid}0`, `:${valid.split(":")[1]}`]) {
      const reply = client.subscribe("private-room", { auth });
      assert.equal(reply[0]?.event, "pusher:error", auth);
      assert.equal((reply[0]?.data as { code: number }).code, 4009, auth);
    }
    assert.equal(client.subscribe("private-room", { auth: valid })[0]?.event, "pusher_internal:subscription_succeeded");
  });
});

describe("unknown app keys", () => {
  it("give the runtime a finite, tiny message limit (0 would mean no limit to ws)", () => {
    const { core } = createTestCore();
    const session = core.hub.session("no-such-key", null);
    assert.equal(session.maxMessageSize, UNKNOWN_APP_MESSAGE_LIMIT);
    assert.ok(UNKNOWN_APP_MESSAGE_LIMIT > 0);
  });
});

describe("log throttle", () => {
  it("writes a kind of line at most once a minute, then says how many were held back", () => {
    const clock = new FakeClock();
    const throttle = new LogThrottle(clock);
    const lines: string[] = [];
    const log = (kind: string) => throttle.log(kind, (held) => lines.push(`${kind}${held}`));
    log("a");
    log("a");
    log("b");
    clock.advance(59_999);
    log("a");
    assert.deepEqual(lines, ["a", "b"]);
    clock.advance(1);
    log("a");
    assert.deepEqual(lines, ["a", "b", "a (2 more like it since the last report)"]);
  });
});

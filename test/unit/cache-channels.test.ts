/** @module Cache channels: replay of the last API or client event to new subscribers, cache_miss, cache lifetime. */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createTestCore } from "../support/harness.ts";
import { APP_A } from "../support/fixtures.ts";

const succeeded = (channel: string) =>
  `{"event":"pusher_internal:subscription_succeeded","data":"{}","channel":"${channel}"}`;
const cacheMiss = (channel: string) => `{"event":"pusher:cache_miss","channel":"${channel}"}`;

function setup() {
  const env = createTestCore();
  const client = () => {
    const c = env.connect(APP_A);
    c.take();
    return c;
  };
  return { ...env, client };
}

describe("cache channels", () => {
  for (const channel of ["cache-test-channel", "private-cache-test-channel", "presence-cache-test-channel"]) {
    it(`sends cache_miss on ${channel} while nothing is cached, then replays the API event`, () => {
      const { core, client } = setup();
      const channelData = channel.startsWith("presence") ? { channelData: { user_id: 1 } } : {};
      const first = client().subscribe(channel, channelData).map((f) => f.raw);
      assert.deepEqual(first.slice(1), [cacheMiss(channel)]);
      core.hub.publish(APP_A, { name: "App\\Events\\TestEvent", data: '{"foo":"bar"}', channels: [channel] });
      const replay = client().subscribe(channel, channel.startsWith("presence") ? { channelData: { user_id: 2 } } : {});
      assert.equal(replay.length, 2);
      assert.equal(replay[0]?.event, "pusher_internal:subscription_succeeded");
      assert.equal(replay[1]?.raw, `{"event":"App\\\\Events\\\\TestEvent","data":"{\\"foo\\":\\"bar\\"}","channel":"${channel}"}`);
    });
  }

  it("caches a multi-channel event per channel, each copy with its own channel", () => {
    const { core, client } = setup();
    client().subscribe("cache-a");
    client().subscribe("cache-b");
    core.hub.publish(APP_A, { name: "e", data: "x", channels: ["cache-a", "cache-b", "cache-none"] });
    assert.equal(client().subscribe("cache-b")[1]?.raw, '{"event":"e","data":"x","channel":"cache-b"}');
    assert.equal(client().subscribe("cache-a")[1]?.raw, '{"event":"e","data":"x","channel":"cache-a"}');
    assert.deepEqual(client().subscribe("cache-none").map((f) => f.raw), [succeeded("cache-none"), cacheMiss("cache-none")]);
  });

  it("replays the last API event to a new subscriber, verbatim", () => {
    const { core, client } = setup();
    client().subscribe("cache-test-channel");
    core.hub.publish(APP_A, { name: "App\\Events\\TestEvent", data: '{"foo":"bar"}', channels: ["cache-test-channel"] });
    const late = client();
    assert.deepEqual(late.subscribe("cache-test-channel").map((f) => f.raw), [
      succeeded("cache-test-channel"),
      '{"event":"App\\\\Events\\\\TestEvent","data":"{\\"foo\\":\\"bar\\"}","channel":"cache-test-channel"}',
    ]);
  });

  it("replays only the last event", () => {
    const { core, client } = setup();
    client().subscribe("cache-c");
    core.hub.publish(APP_A, { name: "first", data: "1", channels: ["cache-c"] });
    core.hub.publish(APP_A, { name: "second", data: "2", channels: ["cache-c"] });
    assert.deepEqual(client().subscribe("cache-c")[1]?.raw, '{"event":"second","data":"2","channel":"cache-c"}');
  });

  it("replays the last client event on a private-cache channel", () => {
    const { client } = setup();
    const sender = client();
    sender.subscribe("private-cache-chat");
    sender.send('{"event":"client-typing","channel":"private-cache-chat","data":{"id":1}}');
    assert.deepEqual(client().subscribe("private-cache-chat").map((f) => f.raw), [
      succeeded("private-cache-chat"),
      '{"event":"client-typing","channel":"private-cache-chat","data":{"id":1}}',
    ]);
  });

  it("does not cache events sent while the channel has no subscribers", () => {
    const { core, client } = setup();
    core.hub.publish(APP_A, { name: "lost", data: "{}", channels: ["cache-c"] });
    assert.deepEqual(client().subscribe("cache-c").map((f) => f.raw), [succeeded("cache-c"), cacheMiss("cache-c")]);
  });

  it("drops the cache when the channel empties", () => {
    const { core, client } = setup();
    const first = client();
    first.subscribe("cache-c");
    core.hub.publish(APP_A, { name: "kept", data: "{}", channels: ["cache-c"] });
    first.send({ event: "pusher:unsubscribe", data: { channel: "cache-c" } });
    assert.deepEqual(client().subscribe("cache-c").map((f) => f.raw), [succeeded("cache-c"), cacheMiss("cache-c")]);
  });

  it("replays the cache again on re-subscribe", () => {
    const { core, client } = setup();
    const c = client();
    c.subscribe("cache-c");
    core.hub.publish(APP_A, { name: "e", data: "{}", channels: ["cache-c"] });
    c.take();
    assert.deepEqual(c.subscribe("cache-c").map((f) => f.raw), [
      succeeded("cache-c"),
      '{"event":"e","data":"{}","channel":"cache-c"}',
    ]);
  });
});

/** @module Cache channels: replay of the last API or client event to new subscribers, cache_miss, cache lifetime and bound. */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { App } from "../../src/apps/app.ts";
import { createTestCore } from "../support/harness.ts";
import { APP_A, APP_B } from "../support/fixtures.ts";

const succeeded = (channel: string) =>
  `{"event":"pusher_internal:subscription_succeeded","data":"{}","channel":"${channel}"}`;
const cacheMiss = (channel: string) => `{"event":"pusher:cache_miss","channel":"${channel}"}`;

function setup(apps?: App[]) {
  const env = createTestCore(apps && { apps });
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
    core.hub.publish(APP_A, { name: "e", data: "x", channels: ["cache-a", "cache-b", "cache-none", "plain"] });
    assert.equal(client().subscribe("cache-b")[1]?.raw, '{"event":"e","data":"x","channel":"cache-b"}');
    assert.equal(client().subscribe("cache-a")[1]?.raw, '{"event":"e","data":"x","channel":"cache-a"}');
    assert.equal(client().subscribe("cache-none")[1]?.raw, '{"event":"e","data":"x","channel":"cache-none"}');
    assert.deepEqual([...core.hub.state(APP_A).channels.cache.keys()], ["cache-a", "cache-b", "cache-none"], "only cache channels keep events");
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

  it("caches events sent while the channel has no subscribers, as Pusher does (Reverb drops them)", () => {
    const { core, client } = setup();
    core.hub.publish(APP_A, { name: "early", data: "{}", channels: ["cache-c"] });
    assert.deepEqual(client().subscribe("cache-c").map((f) => f.raw), [succeeded("cache-c"), '{"event":"early","data":"{}","channel":"cache-c"}']);
  });

  it("keeps the cached event when the channel empties", () => {
    const { core, client } = setup();
    const first = client();
    first.subscribe("cache-c");
    core.hub.publish(APP_A, { name: "kept", data: "{}", channels: ["cache-c"] });
    first.send({ event: "pusher:unsubscribe", data: { channel: "cache-c" } });
    first.disconnect();
    assert.deepEqual(client().subscribe("cache-c").map((f) => f.raw), [succeeded("cache-c"), '{"event":"kept","data":"{}","channel":"cache-c"}']);
  });

  it("forgets an event cache_ttl seconds after it was published, subscribers or not", () => {
    const app = { ...APP_A, cacheTtl: 60 };
    const { core, client, clock } = setup([app]);
    const watcher = client();
    watcher.subscribe("cache-watched");
    core.hub.publish(app, { name: "e", data: "{}", channels: ["cache-watched", "cache-vacant"] });
    clock.advance(59_000);
    assert.equal(client().subscribe("cache-vacant")[1]?.event, "e", "kept up to cache_ttl");
    core.hub.publish(app, { name: "again", data: "{}", channels: ["cache-watched"] }); // a new event starts its own time
    clock.advance(1_000);
    assert.deepEqual(client().subscribe("cache-vacant").map((f) => f.raw), [succeeded("cache-vacant"), cacheMiss("cache-vacant")]);
    assert.equal(client().subscribe("cache-watched")[1]?.event, "again");
    clock.advance(59_000);
    assert.equal(client().subscribe("cache-watched")[1]?.event, "pusher:cache_miss", "expires even while subscribed, as on Pusher");
    assert.equal(core.hub.state(app).channels.cache.size, 0, "the sweep let go of both");
  });

  it("keeps at most max_cached_events per app, forgetting the one written longest ago", () => {
    const app = { ...APP_A, maxCachedEvents: 3 };
    const { core, client } = setup([app, APP_B]);
    for (const name of ["cache-1", "cache-2", "cache-3"]) core.hub.publish(app, { name: "e", data: name, channels: [name] });
    core.hub.publish(app, { name: "e", data: "again", channels: ["cache-1"] }); // written again: now the newest
    core.hub.publish(app, { name: "e", data: "cache-4", channels: ["cache-4"] });
    assert.deepEqual([...core.hub.state(app).channels.cache.keys()].sort(), ["cache-1", "cache-3", "cache-4"]);
    assert.equal(client().subscribe("cache-2")[1]?.event, "pusher:cache_miss");
    for (let i = 0; i < 10_000; i++) core.hub.publish(app, { name: "e", data: "{}", channels: [`cache-flood-${i}`] });
    assert.equal(core.hub.state(app).channels.cache.size, 3, "a publisher inventing channel names cannot grow it");
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

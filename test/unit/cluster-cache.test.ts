/** @module Cache channels across nodes: the newest cached event wins cluster-wide, after outages and partitions too. */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CLUSTER_DEFAULTS } from "../../src/scaling/cluster-broker.ts";
import { APP_A } from "../support/fixtures.ts";
import { createCluster, type TestNode } from "../support/cluster-harness.ts";

/** The `v` of the event a new subscriber on `node` is replayed (undefined for a cache miss). */
function replayed(node: TestNode, channel = "cache-o"): unknown {
  const frames = node.connect().subscribe(channel);
  const last = frames.at(-1);
  if (last?.event === "pusher:cache_miss") return undefined;
  return (last?.data as { v?: unknown } | undefined)?.v;
}

const publish = (node: TestNode, v: number, channel = "cache-o") =>
  node.broker.publish(APP_A, { name: "v", data: JSON.stringify({ v }), channels: [channel] });

describe("cache channels across nodes", () => {
  for (const first of ["A", "B"]) {
    it(`converges on the event published during a Redis outage once both reconnect (${first} reconnects first)`, async () => {
      const { clock, nodes: [a, b] } = createCluster(2);
      a!.connect().subscribe("cache-o");
      b!.connect().subscribe("cache-o");
      await publish(a!, 1);
      a!.link.setConnected(false);
      b!.link.setConnected(false);
      await publish(a!, 2); // A caches it; the copy for B is lost with the broker
      clock.advance(CLUSTER_DEFAULTS.heartbeatMs * 3);
      const order = first === "A" ? [a!, b!] : [b!, a!];
      for (const node of order) {
        node.link.setConnected(true);
        clock.advance(CLUSTER_DEFAULTS.heartbeatMs);
      }
      clock.advance(CLUSTER_DEFAULTS.heartbeatMs * 3);
      assert.equal(replayed(a!), 2);
      assert.equal(replayed(b!), 2, "B replays the event A published while the broker was down");
    });
  }

  it("converges on the event a publish-only node cached for another node's subscribers during an outage", async () => {
    const { clock, nodes: [a, b] } = createCluster(2);
    b!.connect().subscribe("cache-o");
    await publish(a!, 1); // A has no subscriber but keeps the event, since B has some
    a!.link.setConnected(false);
    await publish(a!, 2);
    a!.link.setConnected(true);
    clock.advance(CLUSTER_DEFAULTS.heartbeatMs * 3);
    assert.equal(replayed(b!), 2);
    assert.equal(replayed(a!), 2);
  });

  it("picks the later of two events published on either side of a partition, on both nodes", async () => {
    const { clock, nodes: [a, b] } = createCluster(2);
    a!.connect().subscribe("cache-o");
    b!.connect().subscribe("cache-o");
    await publish(a!, 1);
    a!.link.setConnected(false);
    b!.link.setConnected(false);
    await publish(b!, 2);
    clock.advance(10);
    await publish(a!, 3); // later: it wins although B published in between
    a!.link.setConnected(true);
    b!.link.setConnected(true);
    clock.advance(CLUSTER_DEFAULTS.heartbeatMs * 3);
    assert.equal(replayed(a!), 3);
    assert.equal(replayed(b!), 3);
  });

  it("picks the same event on every node when two are published at the same moment", async () => {
    const { bus, clock, nodes: [a, b] } = createCluster(2);
    const watchers = [a!.connect(), b!.connect()];
    for (const watcher of watchers) watcher.subscribe("cache-o");
    // Each node caches its own event at once; the other's arrives after it (a broker round trip).
    bus.freeze();
    await publish(a!, 1);
    await publish(b!, 2);
    bus.thaw();
    clock.advance(CLUSTER_DEFAULTS.heartbeatMs * 3);
    const onA = replayed(a!);
    assert.equal(replayed(b!), onA);
    for (const watcher of watchers) assert.equal(watcher.take().length, 2, "both events are still delivered live");
  });

  it("converges on a client event sent on a private cache channel during an outage", async () => {
    const { clock, nodes: [a, b] } = createCluster(2);
    const sender = a!.connect();
    sender.subscribe("private-cache-c");
    b!.connect().subscribe("private-cache-c");
    sender.send({ event: "client-v", channel: "private-cache-c", data: { v: 1 } });
    a!.link.setConnected(false);
    sender.send({ event: "client-v", channel: "private-cache-c", data: { v: 2 } });
    a!.link.setConnected(true);
    clock.advance(CLUSTER_DEFAULTS.heartbeatMs * 3);
    const late = b!.connect().subscribe("private-cache-c").at(-1);
    assert.deepEqual(late?.data, { v: 2 });
  });

  it("keeps the newer cached event when an older one arrives late from another node", async () => {
    const { bus, clock, nodes: [a, b] } = createCluster(2);
    a!.connect().subscribe("cache-o");
    b!.connect().subscribe("cache-o");
    await publish(a!, 1);
    clock.advance(5);
    bus.freeze();
    await publish(a!, 2);
    clock.advance(5);
    await publish(b!, 3); // B has not seen 2 yet, but publishes later
    bus.thaw();
    assert.equal(replayed(a!), 3);
    assert.equal(replayed(b!), 3);
  });

  it("still replays arrival order to a node of the previous version that sends no versions", async () => {
    const { bus, nodes: [a] } = createCluster(1);
    a!.connect().subscribe("cache-o");
    bus.inject(JSON.stringify({ v: 1, node: "OLD", type: "channel", app: APP_A.id, channel: "cache-o", op: "occupied" }));
    await publish(a!, 1);
    bus.inject(JSON.stringify({ v: 1, node: "OLD", type: "event", app: APP_A.id, name: "v", data: '{"v":2}', channels: ["cache-o"] }));
    assert.equal(replayed(a!), 2);
  });
});

/**
 * @module Webhooks from the real server to a local endpoint, checked with the `pusher` SDK's `webhook()`: every
 * event type, a failed first delivery retried, and in a cluster over Redis each event once, a killed node's
 * member_removed and channel_vacated included, a joining node repeating nothing and a stopping one handing over; on
 * every runtime.
 */

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type AppEntry, connected, pusherClient, type PusherClient, writeConfig } from "../support/e2e-server.ts";
import { type AuthServer, startAuthServer } from "../support/auth-server.ts";
import { type RedisServer, startRedis } from "../support/redis-server.ts";
import { type RunningServer, RUNTIMES, startServer } from "../support/spawn.ts";
import { startWebhookReceiver, type WebhookEvent, type WebhookReceiver } from "../support/webhook-receiver.ts";

const HOOKED = { app_id: "620001", key: "hooked-key", secret: "hooked-secret" };
const credentials = { appId: HOOKED.app_id, key: HOOKED.key, secret: HOOKED.secret };
const hooked = (url: string): AppEntry => ({
  ...HOOKED,
  accept_client_events_from: "members",
  webhooks: [{ url, event_types: ["channel_occupied", "channel_vacated", "member_added", "member_removed", "client_event", "cache_miss", "subscription_count"] }],
});

const names = (events: WebhookEvent[], channel: string) => events.filter((e) => e.channel === channel).map((e) => e.name);

/** A pusher-js client of the hooked app, connected, authorizing through `auth` as `user`. */
async function client(port: number, auth: AuthServer, user: string): Promise<PusherClient> {
  const pusher = pusherClient(port, HOOKED.key, { channelAuthorization: { endpoint: auth.endpoint, transport: "ajax", params: { user } } });
  await connected(pusher);
  return pusher;
}

const subscribed = (pusher: PusherClient, channel: string) =>
  new Promise<ReturnType<PusherClient["subscribe"]>>((resolve) => {
    const subscription = pusher.subscribe(channel);
    subscription.bind("pusher:subscription_succeeded", () => resolve(subscription));
  });

for (const runtime of RUNTIMES) {
  describe(`${runtime}: webhooks, one node`, () => {
    let receiver: WebhookReceiver;
    let server: RunningServer;
    let auth: AuthServer;
    before(async () => {
      receiver = await startWebhookReceiver();
      server = await startServer(runtime, { args: ["--config", writeConfig([hooked(receiver.url)])] });
      auth = await startAuthServer({ ...credentials });
    });
    after(async () => {
      await Promise.all([server?.stop(), receiver?.close(), auth?.close()]);
    });

    it("sends every event type as Pusher does, signed for the pusher SDK's webhook(), and retries a failed delivery", async () => {
      receiver.fail(1, 500); // the first delivery fails: it must come again
      const ada = await client(server.port, auth, "ada");
      const room = await subscribed(ada, "presence-room");
      room.trigger("client-typing", { typing: true });
      await subscribed(ada, "cache-prices");
      await subscribed(ada, "orders");
      await new Promise((resolve) => setTimeout(resolve, 1_300)); // counts are announced once a second
      ada.disconnect();
      const events = await receiver.waitFor((all) => names(all, "presence-room").includes("channel_vacated") && names(all, "orders").includes("channel_vacated"));
      assert.deepEqual(names(events, "presence-room"), ["channel_occupied", "member_added", "client_event", "member_removed", "channel_vacated"]);
      assert.deepEqual(names(events, "cache-prices").filter((name) => name !== "subscription_count"), ["channel_occupied", "cache_miss", "channel_vacated"]);
      assert.deepEqual(names(events, "orders").filter((name) => name !== "subscription_count"), ["channel_occupied", "channel_vacated"]);
      const member = events.find((e) => e.name === "member_added")!;
      assert.equal(member["user_id"], "ada");
      const typed = events.find((e) => e.name === "client_event")!;
      assert.deepEqual([typed["event"], typed["data"], typed["user_id"]], ["client-typing", '{"typing":true}', "ada"]);
      assert.match(String(typed["socket_id"]), /^\d+\.\d+$/);
      const counts = events.filter((e) => e.name === "subscription_count" && e.channel === "orders").map((e) => e["subscription_count"]);
      assert.equal(counts[0], 1);
      assert.equal(receiver.received[0]!.status, 500);
      assert.equal(receiver.received[1]!.body, receiver.received[0]!.body, "the failed batch, sent again");
      assert.ok(receiver.allValid(credentials), "X-Pusher-Signature verifies with the app secret");
    });
  });
}

describe("webhooks in a cluster over Redis", () => {
  let redis: RedisServer;
  let auth: AuthServer;
  before(async () => {
    redis = await startRedis();
    auth = await startAuthServer({ ...credentials });
  });
  after(async () => {
    await Promise.all([redis?.stop(), auth?.close()]);
  });

  for (const runtime of RUNTIMES) {
    const peer = RUNTIMES.find((other) => other !== runtime) ?? runtime;
    it(`${runtime} + ${peer}: each event once for the cluster; a killed node's members and channels are reported`, async () => {
      const receiver = await startWebhookReceiver();
      const env = { REVERB_SCALING_ENABLED: "true", REDIS_PORT: String(redis.port), REVERB_SCALING_CHANNEL: `hooks-${runtime}-${Date.now()}` };
      const config = writeConfig([hooked(receiver.url)]);
      const nodes = await Promise.all([runtime, peer].map((name) => startServer(name, { args: ["--config", config], env })));
      const clients: PusherClient[] = [];
      try {
        const [a, b] = nodes as [RunningServer, RunningServer];
        const onA = await client(a.port, auth, "ada");
        const onB = await client(b.port, auth, "ada"); // the same user, on the other node
        clients.push(onA, onB);
        await subscribed(onA, "presence-team");
        await new Promise((resolve) => setTimeout(resolve, 300));
        await subscribed(onB, "presence-team");
        await receiver.waitFor((all) => names(all, "presence-team").length >= 2);
        await new Promise((resolve) => setTimeout(resolve, 1_000)); // no duplicate arrives later
        assert.deepEqual(names(receiver.events(), "presence-team"), ["channel_occupied", "member_added"]);
        onA.disconnect(); // ada is still on B
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        assert.deepEqual(names(receiver.events(), "presence-team"), ["channel_occupied", "member_added"]);
        await b.stop("SIGKILL"); // B dies with ada's last socket: A reports her gone once B expires (5 s)
        const events = await receiver.waitFor((all) => names(all, "presence-team").includes("channel_vacated"), 15_000);
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        assert.deepEqual(names(receiver.events(), "presence-team"), ["channel_occupied", "member_added", "member_removed", "channel_vacated"]);
        assert.equal(events.find((e) => e.name === "member_removed")!["user_id"], "ada");
        assert.ok(receiver.allValid(credentials));
      } finally {
        for (const pusher of clients) pusher.disconnect();
        await Promise.all([...nodes.map((node) => node.stop()), receiver.close()]);
      }
    });
  }

  for (const runtime of RUNTIMES) {
    const peer = RUNTIMES.find((other) => other !== runtime) ?? runtime;
    it(`${runtime} + ${peer}: a node joining repeats nothing; the sending node stopped gracefully hands over, its members reported once`, async () => {
      const receiver = await startWebhookReceiver();
      const env = { REVERB_SCALING_ENABLED: "true", REDIS_PORT: String(redis.port), REVERB_SCALING_CHANNEL: `handover-${runtime}-${Date.now()}` };
      const config = writeConfig([hooked(receiver.url)]);
      const nodes = await Promise.all([runtime, peer].map((name) => startServer(name, { args: ["--config", config], env })));
      const clients: PusherClient[] = [];
      let third: RunningServer | undefined;
      try {
        const idOf = (node: RunningServer) => /node ([0-9a-f]{12})\)/.exec(node.output())![1]!;
        // The node with the lowest id sends the cluster's webhooks: stop that one.
        const [leader, other] = [...nodes].sort((x, y) => (idOf(x) < idOf(y) ? -1 : 1)) as [RunningServer, RunningServer];
        await new Promise((resolve) => setTimeout(resolve, 2_500)); // both settled
        const ada = await client(leader.port, auth, "ada");
        const bob = await client(other.port, auth, "bob");
        clients.push(ada, bob);
        await subscribed(ada, "presence-crew");
        await subscribed(bob, "presence-crew");
        await receiver.waitFor((all) => names(all, "presence-crew").length >= 3);
        third = await startServer(peer, { args: ["--config", config], env }); // learns ada and bob from the others
        await new Promise((resolve) => setTimeout(resolve, 3_000));
        assert.deepEqual(names(receiver.events(), "presence-crew"), ["channel_occupied", "member_added", "member_added"], "nothing repeated");
        await leader.stop(); // SIGTERM
        const events = await receiver.waitFor((all) => names(all, "presence-crew").includes("member_removed"), 5_000);
        await new Promise((resolve) => setTimeout(resolve, 1_500)); // no second copy arrives later
        assert.deepEqual(names(receiver.events(), "presence-crew"), ["channel_occupied", "member_added", "member_added", "member_removed"]);
        assert.equal(events.find((e) => e.name === "member_removed")!["user_id"], "ada");
        assert.ok(receiver.allValid(credentials));
      } finally {
        for (const pusher of clients) pusher.disconnect();
        await Promise.all([...nodes.map((node) => node.stop()), third?.stop(), receiver.close()]);
      }
    });
  }
});

/** @module pusher-js against the real server: subscriptions, SDK events, presence, client events, cache and encrypted channels. */

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import type { Channel, PresenceChannel } from "pusher-js";
import { type AuthServer, startAuthServer } from "../support/auth-server.ts";
import {
  collect,
  connected,
  credentials,
  disconnectAll,
  type E2eServer,
  nextEvent,
  nextEvents,
  pusherClient,
  type PusherClient,
  quiet,
  serverSdk,
  startE2eServer,
} from "../support/e2e-server.ts";
import { APP_A } from "../support/fixtures.ts";
import { RUNTIMES } from "../support/spawn.ts";
import { connect } from "../support/ws-client.ts";

const MASTER_KEY = randomBytes(32).toString("base64");
let counter = 0;
/** A channel name no other test uses. */
const unique = (prefix: string) => `${prefix}pjs-${++counter}-${randomBytes(3).toString("hex")}`;

for (const runtime of RUNTIMES) {
  describe(runtime, () => {
    let e2e: E2eServer;
    let auth: AuthServer;
    before(async () => {
      e2e = await startE2eServer(runtime);
      auth = await startAuthServer({ ...credentials(APP_A), encryptionMasterKeyBase64: MASTER_KEY });
    });
    after(async () => {
      await auth?.close();
      await e2e?.stop();
    });

    const sdk = () => serverSdk(e2e.port, credentials(APP_A), { encryptionMasterKeyBase64: MASTER_KEY });
    /** A connected pusher-js client; `user` is the presence user the auth endpoint signs for it. */
    const client = async (user?: string): Promise<PusherClient> => {
      const pusher = pusherClient(e2e.port, APP_A.key, {
        channelAuthorization: { endpoint: auth.endpoint, transport: "ajax", ...(user && { params: { user } }) },
      });
      await connected(pusher);
      return pusher;
    };
    const subscribe = async <C extends Channel = Channel>(pusher: PusherClient, name: string): Promise<C> => {
      const channel = pusher.subscribe(name) as C;
      await nextEvent(channel, "pusher:subscription_succeeded");
      return channel;
    };

    it("delivers an SDK event on a public channel with its data", async () => {
      const a = await client();
      try {
        const name = unique("");
        const channel = await subscribe(a, name);
        const received = nextEvent(channel, "order-shipped");
        const response = await sdk().trigger(name, "order-shipped", { id: 42, items: ["a", "b"] });
        assert.equal(response.status, 200);
        assert.deepEqual(await received, { id: 42, items: ["a", "b"] });
      } finally {
        disconnectAll(a);
      }
    });

    it("delivers one SDK trigger to several channels, once on each", async () => {
      const a = await client();
      try {
        const [one, two] = [unique(""), unique("")];
        const events: Array<[string, unknown]> = [];
        for (const name of [one, two]) {
          (await subscribe(a, name)).bind("multi", (data: unknown) => events.push([name, data]));
        }
        await sdk().trigger([one, two], "multi", { n: 1 });
        await quiet(300);
        assert.deepEqual(events.sort(), [[one, { n: 1 }], [two, { n: 1 }]].sort());
      } finally {
        disconnectAll(a);
      }
    });

    it("delivers every item of triggerBatch to its own channel", async () => {
      const a = await client();
      try {
        const [one, two] = [unique(""), unique("")];
        const first = nextEvent(await subscribe(a, one), "batch-one");
        const second = nextEvent(await subscribe(a, two), "batch-two");
        const response = await sdk().triggerBatch([
          { channel: one, name: "batch-one", data: { i: 1 } },
          { channel: two, name: "batch-two", data: "plain text" },
        ]);
        assert.equal(response.status, 200);
        assert.deepEqual(await first, { i: 1 });
        assert.equal(await second, "plain text");
      } finally {
        disconnectAll(a);
      }
    });

    // Ten frames for one socket in one turn is the write-coalescing path on Node; the trigger after it must not wait.
    it("delivers a batch on one channel to every subscriber in order, and the next event after it", async () => {
      const clients = await Promise.all([client(), client(), client()]);
      try {
        const name = unique("");
        const channels = await Promise.all(clients.map((c) => subscribe(c, name)));
        const batches = channels.map((channel) => nextEvents(channel, "step", 10));
        const sent = Array.from({ length: 10 }, (_, i) => ({ i }));
        // The SDK encodes `data` in place, so it gets its own copies.
        assert.equal((await sdk().triggerBatch(sent.map((data) => ({ channel: name, name: "step", data: { ...data } })))).status, 200);
        for (const received of await Promise.all(batches)) assert.deepEqual(received.map(([data]) => data), sent);
        const after = channels.map((channel) => nextEvent(channel, "after", 1000));
        await sdk().trigger(name, "after", { done: true });
        assert.deepEqual(await Promise.all(after), [{ done: true }, { done: true }, { done: true }]);
      } finally {
        disconnectAll(...clients);
      }
    });

    it("subscribes to a private channel through the auth endpoint and receives its events", async () => {
      const a = await client();
      try {
        const name = unique("private-");
        const channel = await subscribe(a, name);
        assert.ok(auth.requests.some((r) => r.channel === name && r.socketId === a.connection.socket_id));
        const received = nextEvent(channel, "secret");
        await sdk().trigger(name, "secret", { ok: true });
        assert.deepEqual(await received, { ok: true });
      } finally {
        disconnectAll(a);
      }
    });

    it("refuses a private subscription signed with the wrong secret (pusher:error 4009)", async () => {
      const forger = serverSdk(e2e.port, { ...credentials(APP_A), secret: "not-the-secret" });
      const a = pusherClient(e2e.port, APP_A.key, {
        channelAuthorization: {
          endpoint: "unused",
          transport: "ajax",
          customHandler: ({ socketId, channelName }, callback) => callback(null, forger.authorizeChannel(socketId, channelName)),
        },
      });
      try {
        await connected(a);
        const error = nextEvent(a.connection, "error");
        const succeeded = collect(a.subscribe(unique("private-")), "pusher:subscription_succeeded");
        const { data } = await error;
        assert.deepEqual(data, { code: 4009, message: "Connection is unauthorized" });
        await quiet(100);
        assert.equal(succeeded.length, 0);
      } finally {
        disconnectAll(a);
      }
    });

    it("gives presence subscribers me, count and each, and member_added/member_removed with three clients", async () => {
      const [a, b, c] = [await client("1"), await client("2"), await client("3")];
      try {
        const name = unique("presence-");
        const channelA = await subscribe<PresenceChannel>(a, name);
        assert.deepEqual(channelA.members.me, { id: "1", info: { name: "User 1" } });
        assert.equal(channelA.members.count, 1);

        const addedToA = nextEvent(channelA, "pusher:member_added");
        const channelB = await subscribe<PresenceChannel>(b, name);
        assert.deepEqual(await addedToA, { id: "2", info: { name: "User 2" } });
        assert.equal(channelB.members.count, 2);
        const seen: Array<[string, unknown]> = [];
        channelB.members.each((member: { id: string; info: unknown }) => seen.push([member.id, member.info]));
        assert.deepEqual(seen.sort(), [["1", { name: "User 1" }], ["2", { name: "User 2" }]]);

        const added = Promise.all([nextEvent(channelA, "pusher:member_added"), nextEvent(channelB, "pusher:member_added")]);
        const channelC = await subscribe<PresenceChannel>(c, name);
        assert.deepEqual(await added, [{ id: "3", info: { name: "User 3" } }, { id: "3", info: { name: "User 3" } }]);
        assert.equal(channelC.members.count, 3);

        const removed = Promise.all([nextEvent(channelA, "pusher:member_removed"), nextEvent(channelB, "pusher:member_removed")]);
        c.disconnect();
        assert.deepEqual(await removed, [{ id: "3", info: { name: "User 3" } }, { id: "3", info: { name: "User 3" } }]);
        assert.equal(channelA.members.count, 2);
      } finally {
        disconnectAll(a, b, c);
      }
    });

    it("counts the same user on two connections once", async () => {
      const [a, b1, b2] = [await client("10"), await client("20"), await client("20")];
      try {
        const name = unique("presence-");
        const channelA = await subscribe<PresenceChannel>(a, name);
        const added = collect(channelA, "pusher:member_added");
        const removed = collect(channelA, "pusher:member_removed");
        await subscribe(b1, name);
        const second = await subscribe<PresenceChannel>(b2, name);
        assert.equal(second.members.count, 2);
        assert.deepEqual(Object.keys(second.members.members).sort(), ["10", "20"]);
        await quiet(200);
        assert.equal(added.length, 1, "member_added once for user 20");

        b1.disconnect();
        await quiet(300);
        assert.equal(removed.length, 0, "user 20 is still present on its other connection");
        const gone = nextEvent(channelA, "pusher:member_removed");
        b2.disconnect();
        assert.deepEqual(await gone, { id: "20", info: { name: "User 20" } });
      } finally {
        disconnectAll(a, b1, b2);
      }
    });

    it("relays client events on a private channel to others, not to the sender", async () => {
      const [a, b] = [await client(), await client()];
      try {
        const name = unique("private-");
        const [channelA, channelB] = [await subscribe(a, name), await subscribe(b, name)];
        const echoed = collect(channelA, "client-typing");
        const received = nextEvents(channelB, "client-typing");
        assert.equal(channelA.trigger("client-typing", { text: "héllo" }), true);
        const [[data, metadata]] = (await received) as [[unknown, { user_id?: string } | undefined]];
        assert.deepEqual(data, { text: "héllo" });
        assert.equal(metadata?.user_id, undefined);
        await quiet(200);
        assert.deepEqual(echoed, []);
      } finally {
        disconnectAll(a, b);
      }
    });

    it("relays presence client events with the sender's user_id", async () => {
      const [a, b] = [await client("alice"), await client("bob")];
      try {
        const name = unique("presence-");
        const [channelA, channelB] = [await subscribe(a, name), await subscribe(b, name)];
        const echoed = collect(channelA, "client-wave");
        const received = nextEvents(channelB, "client-wave");
        channelA.trigger("client-wave", { hand: "left" });
        const [[data, metadata]] = (await received) as [[unknown, { user_id?: string }]];
        assert.deepEqual(data, { hand: "left" });
        assert.equal(metadata.user_id, "alice");
        await quiet(200);
        assert.deepEqual(echoed, []);
      } finally {
        disconnectAll(a, b);
      }
    });

    it("replays the last event of a cache channel to a new subscriber, and sends pusher:cache_miss when empty", async () => {
      const [a, b] = [await client(), await client()];
      try {
        const name = unique("cache-");
        await subscribe(a, name);
        await sdk().trigger(name, "price", { eur: 10 });
        await sdk().trigger(name, "price", { eur: 11 });
        const channelB = b.subscribe(name);
        const replayed = nextEvent(channelB, "price");
        const misses = collect(channelB, "pusher:cache_miss");
        assert.deepEqual(await replayed, { eur: 11 });
        assert.deepEqual(misses, []);

        const empty = unique("cache-");
        const miss = nextEvent(b.subscribe(empty), "pusher:cache_miss");
        await miss;
      } finally {
        disconnectAll(a, b);
      }
    });

    it("stops delivering after unsubscribe", async () => {
      const [a, b] = [await client(), await client()];
      try {
        const name = unique("");
        const channelA = await subscribe(a, name);
        const channelB = await subscribe(b, name);
        const seenByA = collect(channelA, "tick");
        // Delivery order across subscribers is not defined (Bun's native topics differ from a loop): wait for both.
        const firstByA = nextEvent(channelA, "tick");
        const first = nextEvent(channelB, "tick");
        await sdk().trigger(name, "tick", { n: 1 });
        await Promise.all([firstByA, first]);
        a.unsubscribe(name);
        await quiet(100);
        const second = nextEvent(channelB, "tick");
        await sdk().trigger(name, "tick", { n: 2 });
        assert.deepEqual(await second, { n: 2 });
        await quiet(200);
        assert.deepEqual(seenByA, [{ n: 1 }]);
      } finally {
        disconnectAll(a, b);
      }
    });

    it("excludes the publisher's own socket_id", async () => {
      const [a, b] = [await client(), await client()];
      try {
        const name = unique("");
        const seenByA = collect(await subscribe(a, name), "chat");
        const received = nextEvent(await subscribe(b, name), "chat");
        await sdk().trigger(name, "chat", { text: "hi" }, { socket_id: a.connection.socket_id });
        assert.deepEqual(await received, { text: "hi" });
        await quiet(200);
        assert.deepEqual(seenByA, []);
      } finally {
        disconnectAll(a, b);
      }
    });

    it("delivers SDK-encrypted events on private-encrypted channels: ciphertext on the wire, plaintext in pusher-js", async () => {
      const a = await client();
      const name = unique("private-encrypted-");
      const raw = await connect(e2e.wsUrl(APP_A.key));
      try {
        const channel = await subscribe(a, name);
        const established = await raw.next();
        const socketId = (established.data as { socket_id: string }).socket_id;
        const signed = sdk().authorizeChannel(socketId, name);
        raw.send({ event: "pusher:subscribe", data: { channel: name, auth: signed.auth } });
        assert.equal((await raw.next()).event, "pusher_internal:subscription_succeeded");

        const decrypted = nextEvent(channel, "secret");
        await sdk().trigger(name, "secret", { card: "4242" });
        assert.deepEqual(await decrypted, { card: "4242" });
        const frame = await raw.next();
        assert.equal(frame.event, "secret");
        assert.equal(frame.channel, name);
        assert.doesNotMatch(frame.raw, /4242/);
        assert.deepEqual(Object.keys(frame.data as object).sort(), ["ciphertext", "nonce"]);
      } finally {
        disconnectAll(a);
        await raw.close();
      }
    });
  });
}

/**
 * @module A client that stops reading while thousands of large events flow: cut off with 4100 after a gap-free prefix,
 * server memory bounded; clients that read are never cut off for a burst larger than the limit.
 */

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { after, before, describe, it } from "node:test";
import type Pusher from "pusher";
import { type AppEntry, serverSdk, writeConfig } from "../support/e2e-server.ts";
import { type RunningServer, RUNTIMES, startServer } from "../support/spawn.ts";
import { connect, type Message, type RawClient } from "../support/ws-client.ts";

/** An app with the default bound on unsent data (max_backlog_bytes, 1 MiB). */
const APP: AppEntry = { app_id: "800001", key: "backlog-key", secret: "backlog-secret" };
/** An app with a small bound (64 KB), for bursts larger than it. */
const SMALL: AppEntry = { app_id: "800002", key: "small-backlog-key", secret: "small-backlog-secret", max_backlog_bytes: 65_536 };
const EVENTS = 6_000;
const PAYLOAD = "x".repeat(9_000);
const BATCH = 10;

/** The largest resident set (KB) among the server's processes (the launcher, npm or deno task, is small). */
function serverRssKb(server: RunningServer): number {
  const out = execFileSync("ps", ["-o", "rss=", "-g", String(server.process.pid)]).toString();
  return Math.max(...out.split("\n").map(Number).filter((n) => n > 0));
}

/**
 * Publishes events 0..count-1 to `channel` in batches of 10 (about 90 KB per request), two requests in flight:
 * as fast as a busy Laravel app, and slow enough for a client in this same process to keep reading.
 */
async function publishAll(sdk: Pusher, channel: string, count: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const first = next;
      next += BATCH;
      const batch = [];
      for (let seq = first; seq < Math.min(first + BATCH, count); seq++) {
        batch.push({ channel, name: "load", data: JSON.stringify({ seq, pad: PAYLOAD }) });
      }
      const response = await sdk.triggerBatch(batch);
      assert.equal(response.status, 200);
    }
  };
  await Promise.all([worker(), worker()]);
}

const seqOf = (message: Message) => (message.data as { seq: number }).seq;

/** Takes messages until `count` `load` events arrived (and returns their sequence numbers in arrival order). */
async function takeLoad(client: RawClient, count: number, timeoutMs: number): Promise<number[]> {
  const seqs: number[] = [];
  while (seqs.length < count) {
    const message = await client.next(timeoutMs);
    if (message.event === "load") seqs.push(seqOf(message));
  }
  return seqs;
}

for (const runtime of RUNTIMES) {
  describe(`${runtime}: slow subscribers`, () => {
    let server: RunningServer;
    let sdk: Pusher;
    const ws = (path = "") => `ws://127.0.0.1:${server.port}/app/${APP.key}${path}`;
    before(async () => {
      server = await startServer(runtime, { args: ["--config", writeConfig([APP, SMALL], { max_request_size: 200_000 })] });
      sdk = serverSdk(server.port, { appId: APP.app_id, key: APP.key, secret: APP.secret });
    });
    after(async () => {
      await server?.stop();
    });

    const subscribed = async (channel: string, app = APP): Promise<RawClient> => {
      const client = await connect(`ws://127.0.0.1:${server.port}/app/${app.key}`);
      const established = await client.next();
      assert.equal(established.event, "pusher:connection_established");
      const socketId = (established.data as { socket_id: string }).socket_id;
      const auth = channel.startsWith("private-")
        ? serverSdk(server.port, { appId: app.app_id, key: app.key, secret: app.secret }).authorizeChannel(socketId, channel).auth
        : undefined;
      client.send({ event: "pusher:subscribe", data: { channel, auth } });
      assert.equal((await client.next()).event, "pusher_internal:subscription_succeeded");
      return client;
    };

    /** The app's connection count, cluster-wide, from the HTTP API. */
    const connections = async (): Promise<number> => {
      const response = await sdk.get({ path: "/connections" });
      return ((await response.json()) as { connections: number }).connections;
    };

    it("cuts off a client that stopped reading with 4100 after a gap-free prefix; readers get every event; memory stays bounded", async (t) => {
      const channel = "firehose";
      const reader = await subscribed(channel);
      // Warm-up with readers only: the server's heap grows to what handling this traffic takes.
      await Promise.all([takeLoad(reader, EVENTS, 30_000), publishAll(sdk, channel, EVENTS)]);
      const slow = await subscribed(channel);
      slow.socket.pause(); // stops reading from the TCP socket: the server's writes back up
      const rssBefore = serverRssKb(server);

      const reading = takeLoad(reader, EVENTS, 30_000);
      const publishing = publishAll(sdk, channel, EVENTS);
      // Cut off once it stays past the limit for a second or passes 4× it: the app is down to its one reader.
      const deadline = Date.now() + 20_000;
      while ((await connections()) !== 1) {
        assert.ok(Date.now() < deadline, "the stalled client was never cut off");
        await new Promise((done) => setTimeout(done, 20));
      }
      // It reads again at once: Bun drops a cut-off client's TCP connection within a few seconds.
      slow.socket.resume();
      const got: Message[] = [];
      for (;;) {
        try {
          got.push(await slow.next(5_000));
        } catch {
          break; // closed, and everything before the close was taken
        }
      }
      await publishing;
      const readerSeqs = await reading;
      const rssAfter = serverRssKb(server);

      // The reader got every event exactly once.
      assert.deepEqual([...readerSeqs].sort((a, b) => a - b), Array.from({ length: EVENTS }, (_, i) => i));

      // About 54 MB were published to the stalled client. Without a bound the server would hold most of it
      // (what the kernel buffers do not); with it, at most 4 MiB unsent plus the runtime's own buffers.
      const published = (EVENTS * PAYLOAD.length) / 1024;
      assert.ok(rssAfter - rssBefore < 20_480, `server RSS grew by ${rssAfter - rssBefore} KB for ${published} KB published`);

      // What the stalled client got: a prefix of what the reader saw, in the same order, then 4100.
      const closed = await slow.closed;
      assert.deepEqual(closed, { code: 4100, reason: "Over capacity" });
      const last = got.at(-1);
      assert.equal(last?.event, "pusher:error");
      assert.deepEqual(last?.data, { code: 4100, message: "Over capacity" });
      const slowSeqs = got.filter((m) => m.event === "load").map(seqOf);
      assert.ok(slowSeqs.length > 0 && slowSeqs.length < EVENTS, `the slow client got ${slowSeqs.length} events`);
      assert.deepEqual(slowSeqs, readerSeqs.slice(0, slowSeqs.length), "no gap: exactly the first events the reader got");
      t.diagnostic(`RSS +${rssAfter - rssBefore} KB while ${published} KB went to the stalled client; it got ${slowSeqs.length} events before 4100`);

      await reader.close();
    });

    it("never cuts off members that read a burst of client events larger than the limit (3× its 64 KB)", async () => {
      const channel = "private-burst";
      const readers = [await subscribed(channel, SMALL), await subscribed(channel, SMALL), await subscribed(channel, SMALL)];
      const sender = await subscribed(channel, SMALL);
      const pad = "k".repeat(9_000);
      const BURST = 22; // about 200 KB to each reader, sent in one go
      for (let i = 0; i < BURST; i++) sender.send({ event: "client-burst", channel, data: { i, pad } });
      for (const reader of readers) {
        const seqs: number[] = [];
        while (seqs.length < BURST) {
          const message = await reader.next(5_000);
          assert.equal(message.event, "client-burst", `got ${message.raw.slice(0, 120)}`);
          seqs.push((message.data as { i: number }).i);
        }
        assert.deepEqual(seqs, Array.from({ length: BURST }, (_, i) => i));
      }
      // Past the grace period (and a sweep) every reader is still there and still gets events.
      await new Promise((done) => setTimeout(done, 2_500));
      sender.send({ event: "client-burst", channel, data: { i: BURST, pad: "" } });
      for (const reader of readers) assert.deepEqual((await reader.next(5_000)).data, { i: BURST, pad: "" });
      for (const client of [...readers, sender]) await client.close();
    });

    it("never cuts off readers of several large batches arriving together (4 × 90 KB at once, 64 KB limit)", async () => {
      const channel = "batches";
      const readers = await Promise.all(Array.from({ length: 3 }, () => subscribed(channel, SMALL)));
      const small = serverSdk(server.port, { appId: SMALL.app_id, key: SMALL.key, secret: SMALL.secret });
      const ROUNDS = 5;
      const IN_FLIGHT = 4;
      for (let round = 0; round < ROUNDS; round++) {
        await Promise.all(Array.from({ length: IN_FLIGHT }, async (_, request) => {
          const batch = Array.from({ length: BATCH }, (_, i) => ({
            channel, name: "load", data: JSON.stringify({ seq: (round * IN_FLIGHT + request) * BATCH + i, pad: PAYLOAD }),
          }));
          assert.equal((await small.triggerBatch(batch)).status, 200);
        }));
        await new Promise((done) => setTimeout(done, 250));
      }
      const total = ROUNDS * IN_FLIGHT * BATCH;
      for (const reader of readers) {
        const seqs = await takeLoad(reader, total, 10_000);
        assert.deepEqual([...seqs].sort((a, b) => a - b), Array.from({ length: total }, (_, i) => i));
      }
      await new Promise((done) => setTimeout(done, 2_500)); // past the grace period and a sweep
      const up = await small.get({ path: "/connections" });
      assert.deepEqual(await up.json(), { connections: 3 }, "every reader still connected");
      for (const reader of readers) await reader.close();
    });

    it("keeps serving: /up, and a new subscriber gets new events", async () => {
      const up = await fetch(`http://127.0.0.1:${server.port}/up`);
      assert.equal(up.status, 200);
      const client = await subscribed("after");
      await sdk.trigger("after", "hello", { ok: true });
      const message = await client.next(5_000);
      assert.equal(message.event, "hello");
      await client.close();
    });
  });
}

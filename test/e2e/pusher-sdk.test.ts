/** @module The `pusher` server SDK against the HTTP API: triggers with info, channel queries, connections, terminate, keep-alive. */

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { Agent } from "node:http";
import type { Duplex } from "node:stream";
import { after, before, describe, it } from "node:test";
import type Pusher from "pusher";
import { type AuthServer, startAuthServer } from "../support/auth-server.ts";
import {
  type AppEntry,
  connected,
  credentials,
  disconnectAll,
  type E2eServer,
  nextEvent,
  pusherClient,
  type PusherClient,
  quiet,
  serverSdk,
  startE2eServer,
} from "../support/e2e-server.ts";
import { APP_A } from "../support/fixtures.ts";
import { RUNTIMES } from "../support/spawn.ts";
import { connect } from "../support/ws-client.ts";

/** An app only the connection-count test uses, so other tests' sockets cannot skew it. */
const COUNTED: AppEntry = { app_id: "555001", key: "counted-key", secret: "counted-secret" };

let counter = 0;
const unique = (prefix: string) => `${prefix}sdk-${++counter}-${randomBytes(3).toString("hex")}`;

/** The JSON body of a successful SDK call, which must carry an explicit Content-Length (as Reverb's responses do). */
async function json(response: Promise<{ status: number; headers: { get(name: string): string | null }; text(): Promise<string> }>): Promise<unknown> {
  const resolved = await response;
  assert.equal(resolved.status, 200);
  const text = await resolved.text();
  assert.equal(resolved.headers.get("content-length"), String(Buffer.byteLength(text)), `Content-Length of ${text}`);
  return JSON.parse(text);
}

/** Waits until `read` returns `expected` (deep-equal), polling; fails with the last value seen. */
async function eventually(read: () => Promise<unknown>, expected: unknown, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    last = await read();
    try {
      assert.deepEqual(last, expected);
      return;
    } catch {
      await quiet(50);
    }
  }
  assert.deepEqual(last, expected);
}

for (const runtime of RUNTIMES) {
  describe(runtime, () => {
    let e2e: E2eServer;
    let auth: AuthServer;
    let sdk: Pusher;
    before(async () => {
      e2e = await startE2eServer(runtime, [COUNTED]);
      auth = await startAuthServer(credentials(APP_A));
      sdk = serverSdk(e2e.port);
    });
    after(async () => {
      await auth?.close();
      await e2e?.stop();
    });

    /** A connected pusher-js client of app A subscribed to `channels`, signed in as `user` for presence. */
    const member = async (user: string, ...channels: string[]): Promise<PusherClient> => {
      const client = pusherClient(e2e.port, APP_A.key, {
        channelAuthorization: { endpoint: auth.endpoint, transport: "ajax", params: { user } },
      });
      await connected(client);
      await Promise.all(channels.map((name) => nextEvent(client.subscribe(name), "pusher:subscription_succeeded")));
      return client;
    };

    it("answers a trigger with info per channel: user_count for presence, subscription_count otherwise", async () => {
      const [presence, open] = [unique("presence-"), unique("")];
      const [a, b] = [await member("1", presence, open), await member("1", presence, open)];
      try {
        const body = await json(sdk.trigger([presence, open], "ping", {}, { info: "user_count,subscription_count" }));
        assert.deepEqual(body, { channels: { [presence]: { user_count: 1 }, [open]: { subscription_count: 2 } } });
        assert.deepEqual(await json(sdk.trigger(open, "ping", {})), {});
      } finally {
        disconnectAll(a, b);
      }
    });

    it("answers triggerBatch with [] without info, and one entry per item when some item asks for info", async () => {
      const [presence, open] = [unique("presence-"), unique("")];
      const a = await member("7", presence, open);
      try {
        assert.deepEqual(await json(sdk.triggerBatch([{ channel: open, name: "e", data: "x" }])), { batch: [] });
        const body = await json(sdk.triggerBatch([
          { channel: presence, name: "e", data: "x", info: "user_count" },
          { channel: open, name: "e", data: "y" },
          { channel: open, name: "e", data: "z", info: "subscription_count,user_count" },
        ]));
        assert.deepEqual(body, { batch: [{ user_count: 1 }, {}, { subscription_count: 1 }] });
      } finally {
        disconnectAll(a);
      }
    });

    it("lists occupied channels by prefix with user_count, and {} when none match", async () => {
      const base = `presence-${unique("room")}`;
      const [one, two, other] = [`${base}-1`, `${base}-2`, unique("")];
      const [a, b] = [await member("1", one, two, other), await member("2", one)];
      try {
        const body = await json(sdk.get({ path: "/channels", params: { filter_by_prefix: base, info: "user_count" } }));
        assert.deepEqual(body, { channels: { [one]: { user_count: 2 }, [two]: { user_count: 1 } } });
        const plain = (await json(sdk.get({ path: "/channels" }))) as { channels: Record<string, unknown> };
        assert.deepEqual(plain.channels[other], {});
        assert.deepEqual(await json(sdk.get({ path: "/channels", params: { filter_by_prefix: `${base}-none` } })), { channels: {} });
      } finally {
        disconnectAll(a, b);
      }
    });

    it("describes one channel with the requested info, and {occupied:false} when empty", async () => {
      const [open, presence, cache] = [unique(""), unique("presence-"), unique("cache-")];
      const [a, b] = [await member("1", open, presence, cache), await member("1", open, presence)];
      try {
        const info = { info: "user_count,subscription_count,cache" };
        assert.deepEqual(await json(sdk.get({ path: `/channels/${open}`, params: info })), { occupied: true, subscription_count: 2 });
        assert.deepEqual(await json(sdk.get({ path: `/channels/${presence}`, params: info })), { occupied: true, user_count: 1 });
        await sdk.trigger(cache, "price", { eur: 5 });
        assert.deepEqual(await json(sdk.get({ path: `/channels/${cache}`, params: info })), {
          occupied: true,
          subscription_count: 1,
          cache: { event: "price", data: '{"eur":5}', channel: cache },
        });
        assert.deepEqual(await json(sdk.get({ path: `/channels/${unique("")}`, params: info })), { occupied: false });
      } finally {
        disconnectAll(a, b);
      }
    });

    it("lists presence users once each; 400 for other channels, 404 for empty ones", async () => {
      const presence = unique("presence-");
      const clients = [await member("u1", presence), await member("u2", presence), await member("u1", presence)];
      try {
        const body = (await json(sdk.get({ path: `/channels/${presence}/users` }))) as { users: Array<{ id: unknown }> };
        assert.deepEqual(body.users.map((user) => user.id).sort(), ["u1", "u2"]);
        await assert.rejects(sdk.get({ path: `/channels/${unique("")}/users` }), { status: 400 });
        await assert.rejects(sdk.get({ path: `/channels/${unique("presence-")}/users` }), { status: 404 });
      } finally {
        disconnectAll(...clients);
      }
    });

    it("counts every open connection of the app, subscribed or not", async () => {
      const counted = serverSdk(e2e.port, credentials(COUNTED));
      const read = () => json(counted.get({ path: "/connections" }));
      assert.deepEqual(await read(), { connections: 0 });
      const idle = pusherClient(e2e.port, COUNTED.key);
      const busy = pusherClient(e2e.port, COUNTED.key);
      try {
        await Promise.all([connected(idle), connected(busy)]);
        await nextEvent(busy.subscribe(unique("")), "pusher:subscription_succeeded");
        assert.deepEqual(await read(), { connections: 2 });
        idle.disconnect();
        await eventually(read, { connections: 1 });
      } finally {
        disconnectAll(idle, busy);
      }
    });

    it("terminates a user's connections: 4009 frame and close, no reconnect, others see member_removed", async () => {
      const presence = unique("presence-");
      const witness = await member("witness", presence);
      const target = await member("doomed", presence);
      const raw = await connect(e2e.wsUrl(APP_A.key));
      try {
        const socketId = ((await raw.next()).data as { socket_id: string }).socket_id;
        const signed = sdk.authorizeChannel(socketId, presence, { user_id: "doomed" });
        raw.send({ event: "pusher:subscribe", data: { channel: presence, ...signed } });
        assert.equal((await raw.next()).event, "pusher_internal:subscription_succeeded");

        const targetError = nextEvent(target.connection, "error");
        const removed = nextEvent(witness.channel(presence)!, "pusher:member_removed");
        assert.deepEqual(await json(sdk.terminateUserConnections("doomed")), {});
        assert.equal(
          (await raw.next()).raw,
          '{"event":"pusher:error","data":"{\\"code\\":4009,\\"message\\":\\"Connection terminated by the app\\"}"}',
        );
        assert.deepEqual(await raw.closed, { code: 4009, reason: "Connection terminated by the app" });
        assert.deepEqual((await targetError).data, { code: 4009, message: "Connection terminated by the app" });
        assert.equal((await removed).id, "doomed");

        await quiet(1000);
        assert.equal(target.connection.state, "disconnected", "pusher-js must not reconnect after 4009");
        assert.equal(witness.connection.state, "connected");
        assert.deepEqual(await json(sdk.get({ path: `/channels/${presence}/users` })), { users: [{ id: "witness" }] });
      } finally {
        disconnectAll(witness, target);
        await raw.close();
      }
    });

    it("serves 50 sequential triggers over one keep-alive connection, all 200", async () => {
      let sockets = 0;
      const agent = new (class extends Agent {
        override createConnection(...args: Parameters<Agent["createConnection"]>): Duplex {
          sockets++;
          return super.createConnection(...args) as Duplex;
        }
      })({ keepAlive: true, maxSockets: 1 });
      const kept = serverSdk(e2e.port, credentials(APP_A), { agent });
      try {
        const channel = unique("");
        for (let i = 0; i < 50; i++) {
          const response = await kept.trigger(channel, "burst", { i });
          assert.equal(response.status, 200, `trigger ${i}`);
          await response.text();
        }
        assert.equal(sockets, 1, "every request reused the first connection");
      } finally {
        agent.destroy();
      }
    });

    it("rejects a wrong secret with 401 and an unknown app id with 404", async () => {
      const forger = serverSdk(e2e.port, { ...credentials(APP_A), secret: "wrong" });
      await assert.rejects(forger.trigger(unique(""), "e", {}), { status: 401 });
      const stranger = serverSdk(e2e.port, { ...credentials(APP_A), appId: "999999" });
      await assert.rejects(stranger.get({ path: "/channels" }), { status: 404 });
    });
  });
}

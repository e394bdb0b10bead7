/** @module Laravel Echo (broadcaster "reverb") as a Laravel front end uses it, against events broadcast the way Laravel does. */

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import Echo from "laravel-echo";
import Pusher from "pusher-js";
import { type AuthServer, startAuthServer } from "../support/auth-server.ts";
import {
  connected,
  credentials,
  type E2eServer,
  type PusherClient,
  quiet,
  serverSdk,
  startE2eServer,
} from "../support/e2e-server.ts";
import { APP_A } from "../support/fixtures.ts";
import { RUNTIMES } from "../support/spawn.ts";

let counter = 0;
/** A channel name (without Echo's private-/presence- prefix) no other test uses. */
const unique = (base: string) => `${base}.${++counter}.${randomBytes(3).toString("hex")}`;

/** Resolves with the first value passed to the callback `register` installs; rejects after `timeoutMs`. */
function first<T>(what: string, register: (callback: (value: T) => void) => void, timeoutMs = 3000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what}: nothing within ${timeoutMs} ms`)), timeoutMs);
    let done = false;
    register((value) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(value);
    });
  });
}

type ReverbEcho = Echo<"reverb">;

for (const runtime of RUNTIMES) {
  describe(runtime, () => {
    let e2e: E2eServer;
    let auth: AuthServer;
    before(async () => {
      e2e = await startE2eServer(runtime);
      auth = await startAuthServer(credentials(APP_A));
    });
    after(async () => {
      await auth?.close();
      await e2e?.stop();
    });

    const sdk = () => serverSdk(e2e.port);
    /** An Echo instance configured like resources/js/echo.js with VITE_REVERB_*; `user` is who the app signs in. */
    const echo = async (user = "1"): Promise<ReverbEcho> => {
      const instance = new Echo({
        broadcaster: "reverb",
        key: APP_A.key,
        wsHost: "127.0.0.1",
        wsPort: e2e.port,
        wssPort: e2e.port,
        forceTLS: false,
        enabledTransports: ["ws"],
        disableStats: true,
        authEndpoint: auth.endpoint,
        auth: { headers: {}, params: { user } },
        // What a Laravel app's resources/js/echo.js passes (or sets as window.Pusher).
        Pusher,
      });
      await connected(instance.connector.pusher as unknown as PusherClient);
      return instance;
    };
    const subscribed = (channel: { subscribed(callback: () => void): unknown }, what: string) =>
      first<void>(`${what} subscription`, (done) => channel.subscribed(() => done()));

    it("receives a Laravel-named event (App\\Events\\OrderShipped) through listen('OrderShipped')", async () => {
      const client = await echo();
      try {
        const name = unique("orders");
        const namespaced: unknown[] = [];
        const dotted: unknown[] = [];
        const channel = client.channel(name);
        channel.listen(".OrderShipped", (payload: unknown) => dotted.push(payload));
        const received = first<unknown>("OrderShipped", (done) => channel.listen("OrderShipped", done));
        await subscribed(channel, name);
        channel.listen("OrderShipped", (payload: unknown) => namespaced.push(payload));
        await sdk().trigger(name, "App\\Events\\OrderShipped", { order: { id: 7 } });
        assert.deepEqual(await received, { order: { id: 7 } });
        await quiet(200);
        assert.deepEqual(namespaced, [{ order: { id: 7 } }]);
        assert.deepEqual(dotted, [], "'.OrderShipped' means the bare name, which was not broadcast");
      } finally {
        client.disconnect();
      }
    });

    it("receives a broadcastAs name through listen('.order.shipped')", async () => {
      const client = await echo();
      try {
        const name = unique("orders");
        const channel = client.channel(name);
        const received = first<unknown>(".order.shipped", (done) => channel.listen(".order.shipped", done));
        await subscribed(channel, name);
        await sdk().trigger(name, "order.shipped", { id: 8 });
        assert.deepEqual(await received, { id: 8 });
      } finally {
        client.disconnect();
      }
    });

    it("authorizes Echo.private() through the auth endpoint and delivers its events", async () => {
      const client = await echo("5");
      try {
        const name = unique("orders");
        const channel = client.private(name);
        const received = first<unknown>("private OrderShipped", (done) => channel.listen("OrderShipped", done));
        await subscribed(channel, name);
        assert.ok(auth.requests.some((r) => r.channel === `private-${name}` && r.socketId === client.socketId()));
        await sdk().trigger(`private-${name}`, "App\\Events\\OrderShipped", { id: 9 });
        assert.deepEqual(await received, { id: 9 });
      } finally {
        client.disconnect();
      }
    });

    it("delivers notifications on the user's private channel (App.Models.User.{id})", async () => {
      const client = await echo("42");
      try {
        const channel = client.private(`App.Models.User.${42 + ++counter}`);
        const received = first<{ type: string }>("notification", (done) => channel.notification(done));
        await subscribed(channel, "user channel");
        await sdk().trigger(
          `private-App.Models.User.${42 + counter}`,
          "Illuminate\\Notifications\\Events\\BroadcastNotificationCreated",
          { id: "3f0c", type: "App\\Notifications\\InvoicePaid", amount: 10 },
        );
        assert.deepEqual(await received, { id: "3f0c", type: "App\\Notifications\\InvoicePaid", amount: 10 });
      } finally {
        client.disconnect();
      }
    });

    it("reports here, joining and leaving on Echo.join()", async () => {
      const [alice, bob] = [await echo("alice"), await echo("bob")];
      try {
        const name = unique("room");
        const roomA = alice.join(name);
        const hereA = await first<unknown[]>("alice here", (done) => roomA.here(done));
        assert.deepEqual(hereA, [{ name: "User alice" }]);

        const joining = first<unknown>("alice sees joining", (done) => roomA.joining(done));
        const hereB = await first<unknown[]>("bob here", (done) => bob.join(name).here(done));
        assert.deepEqual(
          hereB.map((user) => JSON.stringify(user)).sort(),
          [{ name: "User alice" }, { name: "User bob" }].map((user) => JSON.stringify(user)),
        );
        assert.deepEqual(await joining, { name: "User bob" });

        const leaving = first<unknown>("alice sees leaving", (done) => roomA.leaving(done));
        bob.leave(name);
        assert.deepEqual(await leaving, { name: "User bob" });
      } finally {
        alice.disconnect();
        bob.disconnect();
      }
    });

    it("relays .whisper() to .listenForWhisper() on private and presence channels, not back to the sender", async () => {
      const [alice, bob] = [await echo("alice"), await echo("bob")];
      try {
        for (const kind of ["private", "presence"] as const) {
          const name = unique("chat");
          const join = (client: ReverbEcho) => (kind === "private" ? client.private(name) : client.join(name));
          const [channelA, channelB] = [join(alice), join(bob)];
          await Promise.all([subscribed(channelA, `alice ${kind}`), subscribed(channelB, `bob ${kind}`)]);
          const echoed: unknown[] = [];
          channelA.listenForWhisper("typing", (payload: unknown) => echoed.push(payload));
          const received = first<unknown>(`${kind} whisper`, (done) => channelB.listenForWhisper("typing", done));
          channelA.whisper("typing", { name: "Alice", typing: true });
          assert.deepEqual(await received, { name: "Alice", typing: true }, kind);
          await quiet(200);
          assert.deepEqual(echoed, [], `${kind}: the sender does not hear its own whisper`);
        }
      } finally {
        alice.disconnect();
        bob.disconnect();
      }
    });

    it("unsubscribes on Echo.leave(): no more events, and the server no longer lists the channel", async () => {
      const [stays, leaves] = [await echo(), await echo()];
      try {
        const name = unique("feed");
        const kept = stays.channel(name);
        const left = leaves.channel(name);
        const afterLeave: unknown[] = [];
        left.listen(".tick", (payload: unknown) => afterLeave.push(payload));
        await Promise.all([subscribed(kept, "stays"), subscribed(left, "leaves")]);
        leaves.leave(name);
        await quiet(100);
        const occupied = await (await sdk().get({ path: `/channels/${name}`, params: { info: "subscription_count" } })).json();
        assert.deepEqual(occupied, { occupied: true, subscription_count: 1 });

        const received = first<unknown>("tick for the remaining client", (done) => kept.listen(".tick", done));
        await sdk().trigger(name, "tick", { n: 1 });
        assert.deepEqual(await received, { n: 1 });
        await quiet(200);
        assert.deepEqual(afterLeave, []);

        stays.leave(name);
        await quiet(100);
        assert.deepEqual(await (await sdk().get({ path: `/channels/${name}` })).json(), { occupied: false });
      } finally {
        stays.disconnect();
        leaves.disconnect();
      }
    });
  });
}

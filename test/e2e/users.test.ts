/**
 * @module User authentication as hosted Pusher has it, with real clients: pusher-js `signin()`, `user.bind` and
 * `user.watchlist`, Laravel Echo's pusher, the `pusher` SDK's `sendToUser` and `terminateUserConnections`, and
 * subscription counts; on one node and on two nodes over Redis, on every runtime.
 */

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import Echo from "laravel-echo";
import type Pusher from "pusher";
import { type AppEntry, connected, pusherClient, PusherClient, serverSdk, writeConfig } from "../support/e2e-server.ts";
import { type AuthServer, startAuthServer } from "../support/auth-server.ts";
import { APP_A } from "../support/fixtures.ts";
import { type RedisServer, type ScalingNode, startNodes, startRedis, stopNodes } from "../support/redis-server.ts";
import { type RunningServer, RUNTIMES, startServer } from "../support/spawn.ts";
import { connect } from "../support/ws-client.ts";

/** An app whose subscribers are told their channels' subscription counts. */
const COUNTING: AppEntry = { app_id: "610001", key: "counting-key", secret: "counting-secret", subscription_count: true };

/** A pusher-js client of `key` on `port` that signs in as `user` (watching `watch`), connected and signed in. */
async function signedIn(port: number, auth: AuthServer, user: string, watch: string[] = [], key = APP_A.key): Promise<PusherClient> {
  const client = pusherClient(port, key, { userAuthentication: { endpoint: auth.userEndpoint, transport: "ajax", params: { user, watch: watch.join(",") } } });
  await connected(client);
  client.signin();
  await (client.user as unknown as { signinDonePromise: Promise<void> }).signinDonePromise;
  assert.equal((client.user as unknown as { user_data: { id: string } | null }).user_data?.id, user, "signed in");
  return client;
}

/** Resolves with the next `name` event of the signed-in user (what `sendToUser` sends). */
function nextUserEvent(client: PusherClient, name: string, timeoutMs = 5_000): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no user event ${name} within ${timeoutMs} ms`)), timeoutMs);
    client.user.bind(name, (data: unknown) => {
      clearTimeout(timer);
      resolve(data);
    });
  });
}

/** Resolves with the next watchlist event `name` ("online" / "offline"). */
function nextWatchlistEvent(client: PusherClient, name: "online" | "offline", timeoutMs = 5_000): Promise<{ user_ids: string[] }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no watchlist ${name} within ${timeoutMs} ms`)), timeoutMs);
    const callback = (event: { user_ids: string[] }) => {
      clearTimeout(timer);
      client.user.watchlist.unbind(name, callback);
      resolve(event);
    };
    client.user.watchlist.bind(name, callback);
  });
}

const closed = (client: PusherClient, timeoutMs = 5_000) =>
  new Promise<void>((resolve, reject) => {
    if (client.connection.state !== "connected") return resolve();
    const timer = setTimeout(() => reject(new Error(`still ${client.connection.state} after ${timeoutMs} ms`)), timeoutMs);
    client.connection.bind("state_change", ({ current }: { current: string }) => {
      if (current === "connected") return;
      clearTimeout(timer);
      resolve();
    });
  });

for (const runtime of RUNTIMES) {
  describe(`${runtime}: user authentication, one node`, () => {
    let server: RunningServer;
    let auth: AuthServer;
    let sdk: Pusher;
    const clients: PusherClient[] = [];
    const track = (client: PusherClient) => (clients.push(client), client);
    before(async () => {
      server = await startServer(runtime, { args: ["--config", writeConfig([COUNTING])] });
      auth = await startAuthServer({ appId: APP_A.id, key: APP_A.key, secret: APP_A.secret });
      sdk = serverSdk(server.port);
    });
    after(async () => {
      for (const client of clients) client.disconnect();
      await Promise.all([server?.stop(), auth?.close()]);
    });

    it("pusher-js signs in, and sendToUser reaches every tab of that user and nobody else", async () => {
      const tab1 = track(await signedIn(server.port, auth, "ada"));
      const tab2 = track(await signedIn(server.port, auth, "ada"));
      const other = track(await signedIn(server.port, auth, "bob"));
      const received = [nextUserEvent(tab1, "notice"), nextUserEvent(tab2, "notice")];
      let otherGot = false;
      other.user.bind("notice", () => (otherGot = true));
      await new Promise((resolve) => setTimeout(resolve, 200)); // pusher-js subscribes #server-to-user-… after signin
      await sdk.sendToUser("ada", "notice", { text: "hello" });
      assert.deepEqual(await Promise.all(received), [{ text: "hello" }, { text: "hello" }]);
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.equal(otherGot, false);
    });

    it("watchlists: told who is online at sign-in, then online and offline as users come and go", async () => {
      const cy = track(await signedIn(server.port, auth, "cy"));
      const watcher = pusherClient(server.port, APP_A.key, { userAuthentication: { endpoint: auth.userEndpoint, transport: "ajax", params: { user: "watcher", watch: "cy,dee" } } });
      track(watcher);
      const initial = nextWatchlistEvent(watcher, "online");
      await connected(watcher);
      watcher.signin();
      assert.deepEqual((await initial).user_ids, ["cy"]);
      const deeOnline = nextWatchlistEvent(watcher, "online");
      const dee = track(await signedIn(server.port, auth, "dee"));
      assert.deepEqual((await deeOnline).user_ids, ["dee"]);
      const offline = nextWatchlistEvent(watcher, "offline");
      dee.disconnect();
      assert.deepEqual((await offline).user_ids, ["dee"]);
      void cy;
    });

    it("terminateUserConnections closes the user's signed-in sockets (4009)", async () => {
      const victim = track(await signedIn(server.port, auth, "eve"));
      const bystander = track(await signedIn(server.port, auth, "fay"));
      const gone = closed(victim);
      await sdk.terminateUserConnections("eve");
      await gone;
      assert.equal(bystander.connection.state, "connected");
    });

    it("refuses a forged sign-in with pusher:error 4009 and no identity", async () => {
      const client = await connect(`ws://127.0.0.1:${server.port}/app/${APP_A.key}`);
      await client.next();
      client.send({ event: "pusher:signin", data: { auth: `${APP_A.key}:${"0".repeat(64)}`, user_data: '{"id":"mallory"}' } });
      const reply = await client.next();
      assert.equal(reply.event, "pusher:error");
      assert.equal((reply.data as { code: number }).code, 4009);
      client.send({ event: "pusher:subscribe", data: { channel: "#server-to-user-mallory" } });
      assert.equal(((await client.next()).data as { code: number }).code, 4009);
      await client.close();
    });

    it("Laravel Echo's pusher signs in too, and subscribers of a counting app get subscription counts", async () => {
      const countingAuth = await startAuthServer({ appId: COUNTING.app_id, key: COUNTING.key, secret: COUNTING.secret });
      const echo = new Echo({
        broadcaster: "reverb",
        key: COUNTING.key,
        wsHost: "127.0.0.1",
        wsPort: server.port,
        forceTLS: false,
        enabledTransports: ["ws"],
        disableStats: true,
        Pusher: PusherClient,
        userAuthentication: { endpoint: countingAuth.userEndpoint, transport: "ajax", params: { user: "echo-user" }, headers: {} },
      } as never);
      const pusher = (echo.connector as unknown as { pusher: PusherClient }).pusher;
      track(pusher);
      await connected(pusher);
      pusher.signin();
      await (pusher.user as unknown as { signinDonePromise: Promise<void> }).signinDonePromise;
      assert.equal((pusher.user as unknown as { user_data: { id: string } }).user_data.id, "echo-user");
      const counted = new Promise<{ subscription_count: number }>((resolve) => pusher.subscribe("orders").bind("pusher:subscription_count", resolve));
      const second = track(pusherClient(server.port, COUNTING.key));
      second.subscribe("orders");
      assert.equal((await counted).subscription_count >= 1, true);
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      assert.equal((pusher.channel("orders") as unknown as { subscriptionCount: number }).subscriptionCount, 2);
      echo.disconnect();
      await countingAuth.close();
    });
  });
}

describe("user authentication across nodes over Redis", () => {
  let redis: RedisServer;
  let auth: AuthServer;
  before(async () => {
    redis = await startRedis();
    auth = await startAuthServer({ appId: APP_A.id, key: APP_A.key, secret: APP_A.secret });
  });
  after(async () => {
    await Promise.all([redis?.stop(), auth?.close()]);
  });

  for (const runtime of RUNTIMES) {
    const peer = RUNTIMES.find((other) => other !== runtime) ?? runtime;
    it(`${runtime} + ${peer}: sendToUser, watchlists and terminate reach the user's sockets on every node`, async () => {
      let nodes: ScalingNode[] = [];
      const clients: PusherClient[] = [];
      try {
        nodes = await startNodes([runtime, peer], redis, `users-${runtime}-${Date.now()}`);
        const [a, b] = nodes as [ScalingNode, ScalingNode];
        const watcher = pusherClient(a.port, APP_A.key, { userAuthentication: { endpoint: auth.userEndpoint, transport: "ajax", params: { user: "watcher", watch: "ada" } } });
        clients.push(watcher);
        await connected(watcher);
        watcher.signin();
        await (watcher.user as unknown as { signinDonePromise: Promise<void> }).signinDonePromise;
        const online = nextWatchlistEvent(watcher, "online");
        const onB = await signedIn(b.port, auth, "ada");
        clients.push(onB);
        assert.deepEqual((await online).user_ids, ["ada"]);
        const onA = await signedIn(a.port, auth, "ada");
        clients.push(onA);
        const received = [nextUserEvent(onA, "notice"), nextUserEvent(onB, "notice")];
        await new Promise((resolve) => setTimeout(resolve, 300));
        await a.sdk.sendToUser("ada", "notice", { n: 1 });
        assert.deepEqual(await Promise.all(received), [{ n: 1 }, { n: 1 }]);
        const offline = nextWatchlistEvent(watcher, "offline");
        const gone = [closed(onA), closed(onB)];
        await a.sdk.terminateUserConnections("ada");
        await Promise.all(gone);
        assert.deepEqual((await offline).user_ids, ["ada"]);
      } finally {
        for (const client of clients) client.disconnect();
        await stopNodes(nodes);
      }
    });
  }
});

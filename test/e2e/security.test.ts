/**
 * @module Hostile clients against the real server on every runtime: the attacks of the security audit (one test
 * each, raw sockets where a client library would refuse to send them), and the defences that must keep holding.
 */

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { after, before, describe, it } from "node:test";
import type Pusher from "pusher";
import { signQuery } from "../../src/http/verify-signature.ts";
import { type AppEntry, credentials, serverSdk, writeConfig } from "../support/e2e-server.ts";
import { APP_A } from "../support/fixtures.ts";
import { rawConnection, textFrameHeader, upgradeRequest } from "../support/raw-http.ts";
import { type RunningServer, RUNTIMES, startServer } from "../support/spawn.ts";
import { connect, type RawClient } from "../support/ws-client.ts";

/** Origins as a careless config might allow them: a pattern a backtracking regex would choke on. */
const GLOBBED: AppEntry = { app_id: "900001", key: "globbed-key", secret: "globbed-secret", allowed_origins: ["*.*.*.*.*.*.*.*.example.com"] };
/** Few channels per connection, to reach the limit quickly. */
const FEW_CHANNELS: AppEntry = { app_id: "900002", key: "few-key", secret: "few-secret", max_channels_per_connection: 5 };

function serverRssKb(server: RunningServer): number {
  const out = execFileSync("ps", ["-o", "rss=", "-g", String(server.process.pid)]).toString();
  return Math.max(...out.split("\n").map(Number).filter((n) => n > 0));
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

for (const runtime of RUNTIMES) {
  describe(`${runtime}: security`, () => {
    let server: RunningServer;
    let sdk: Pusher;
    const http = (path: string, init?: RequestInit) => fetch(`http://127.0.0.1:${server.port}${path}`, init);
    const ws = (key: string) => `ws://127.0.0.1:${server.port}/app/${key}`;
    before(async () => {
      server = await startServer(runtime, { args: ["--config", writeConfig([GLOBBED, FEW_CHANNELS])] });
      sdk = serverSdk(server.port);
    });
    after(async () => {
      await server?.stop();
    });

    /** A raw ws client that got connection_established. */
    const open = async (key = APP_A.key, options: Parameters<typeof connect>[1] = {}): Promise<RawClient> => {
      const client = await connect(ws(key), options);
      const first = await client.next(5_000);
      assert.equal(first.event, "pusher:connection_established", first.raw);
      return client;
    };
    const assertServing = async () => {
      const up = await http("/up");
      assert.equal(up.status, 200);
      const client = await open();
      await client.close();
    };

    it("1. an unknown app key does not lift the frame size limit: a frame declared as 800 MB is refused at once", async () => {
      const before = serverRssKb(server);
      const raw = await rawConnection(server.port, upgradeRequest("/app/no-such-key"));
      await raw.waitFor(/^HTTP\/1\.1 101/);
      raw.socket.write(textFrameHeader(800 * 1024 * 1024));
      const chunk = Buffer.alloc(1024 * 1024, 0x61);
      let written = 0;
      while (!raw.isClosed && written < 200 * 1024 * 1024) {
        if (!raw.socket.write(chunk)) await Promise.race([new Promise((resolve) => raw.socket.once("drain", resolve)), delay(200)]);
        written += chunk.length;
      }
      await raw.closedWithin(10_000);
      const grown = serverRssKb(server) - before;
      assert.ok(grown < 40 * 1024, `server RSS grew by ${grown} KB; the attacker wrote ${written >> 20} MB`);
      await assertServing();
    });

    it("2. refuses subscriptions past max_channels_per_connection with a 4300 error naming the limit; the connection stays usable", async () => {
      const client = await open(FEW_CHANNELS.key);
      for (let i = 0; i < 5; i++) {
        client.send({ event: "pusher:subscribe", data: { channel: `room-${i}` } });
        assert.equal((await client.next()).event, "pusher_internal:subscription_succeeded");
      }
      client.send({ event: "pusher:subscribe", data: { channel: "room-5" } });
      const refused = await client.next();
      assert.equal(refused.event, "pusher:error");
      assert.deepEqual(refused.data, { code: 4300, message: "Too many channels: a connection may be subscribed to at most 5 (max_channels_per_connection)" });
      client.send({ event: "pusher:ping" });
      assert.equal((await client.next()).event, "pusher:pong");
      const channels = await sdk.get({ path: "/channels" });
      await client.close();
      assert.ok(!JSON.stringify(await channels.json()).includes("room-5"));
    });

    it("3. refuses a captured signed URL with a parameter prepended (400), and a parameter added (401)", async () => {
      const { appId } = credentials();
      const path = `/apps/${appId}/channels`;
      const query = signQuery(APP_A, "GET", path, "", Date.now(), { filter_by_prefix: "public-" });
      assert.equal((await http(`${path}?${query}`)).status, 200);
      const prepended = await http(`${path}?filter_by_prefix=private-&${query}`);
      assert.equal(prepended.status, 400);
      assert.match(((await prepended.json()) as { error: string }).error, /"filter_by_prefix" is repeated/);
      assert.equal((await http(`${path}?info=subscription_count&${query}`)).status, 401);
    });

    it("4. origin patterns cannot freeze the server: hostile Origin headers are refused at once and /up keeps answering", async () => {
      const started = Date.now();
      for (const origin of [`https://${"a.".repeat(990)}example.co`, `https://${"a.".repeat(3_000)}example.com`]) {
        const client = await connect(ws(GLOBBED.key), { origin });
        const refused = await client.next(5_000);
        assert.deepEqual(refused.data, { code: 4009, message: "Origin not allowed" });
        assert.equal((await client.closed).code, 4009);
      }
      assert.equal((await http("/up")).status, 200);
      // The backtracking matcher took 18–24 s here; generous bound for a slow CI machine.
      assert.ok(Date.now() - started < 5_000, `took ${Date.now() - started} ms`);
      const allowed = await open(GLOBBED.key, { origin: "https://a.b.c.d.e.f.g.h.example.com" });
      await allowed.close();
    });

    it("5. connections that never finish a request are closed (Node, Bun) or cannot stop the server serving (Deno)", async () => {
      const idle = await Promise.all([
        rawConnection(server.port),
        rawConnection(server.port, "GET /up HTTP/1.1\r\nHost: 127.0.0.1\r\n"),
        rawConnection(server.port, `POST /apps/${APP_A.id}/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\n{"na`),
        rawConnection(server.port, upgradeRequest("/app/reverb-key").slice(0, 40)),
      ]);
      await assertServing();
      if (runtime === "deno") {
        // Deno.serve has no header or idle timeout (denoland/deno#3515); documented in the README.
        await delay(1_000);
        await assertServing();
        for (const connection of idle) connection.socket.destroy();
        return;
      }
      // Node: headers within 10 s, checked every second; Bun: 10 s idle timeout.
      await Promise.all(idle.map((connection) => connection.closedWithin(20_000)));
    });

    it("6. client mistakes get a 4xx and no log lines: Host routing tricks, broken handshakes, bad targets", async () => {
      const logged = server.output().length;
      // The Host header must not choose the route (some runtimes build the request URL from it).
      const tricked = await rawConnection(server.port, upgradeRequest("/app/no-such-key", { Host: "a/app/reverb-key#" }));
      await tricked.waitFor(/^HTTP\/1\.1 400/);
      assert.doesNotMatch(tricked.received(), /connection_established/);
      tricked.socket.destroy();
      for (let i = 0; i < 20; i++) {
        const broken = await rawConnection(server.port, upgradeRequest(`/app/${APP_A.key}`, { Connection: "keep-alive" }));
        await broken.waitFor(/^HTTP\/1\.1 400/);
        assert.match(broken.received(), /Invalid WebSocket handshake/);
        broken.socket.destroy();
      }
      const noKey = await rawConnection(server.port, upgradeRequest(`/app/${APP_A.key}`, { "Sec-WebSocket-Key": "" }));
      await noKey.waitFor(/^HTTP\/1\.1 400/);
      noKey.socket.destroy();
      const bad = await http("/apps/123456/channels/%E0%A4%A?auth_key=x");
      assert.ok(bad.status >= 400 && bad.status < 500, String(bad.status));
      await delay(300);
      assert.equal(server.output().slice(logged), "", "nothing logged for client mistakes");
    });

    it("10. a percent-encoded app key still connects (the router decodes it); a broken encoding is an unknown key (4001); nothing is logged", async () => {
      const logged = server.output().length;
      const encoded = await connect(`ws://127.0.0.1:${server.port}/app/${APP_A.key.replace("-", "%2D")}?protocol=7`);
      assert.equal((await encoded.next()).event, "pusher:connection_established");
      await encoded.close();
      const broken = await connect(`ws://127.0.0.1:${server.port}/app/reverb%E0%A4%A?protocol=7`);
      assert.deepEqual((await broken.next()).data, { code: 4001, message: "Application does not exist" });
      assert.equal((await broken.closed).code, 4001);
      await delay(300);
      assert.equal(server.output().slice(logged), "", "nothing logged for client mistakes");
    });

    it("9. publishers that break the body off, trickle it or overstate it: 4xx or nothing, no log line, publishing goes on", async () => {
      const logged = server.output().length;
      const path = `/apps/${APP_A.id}/events`;
      const body = JSON.stringify({ name: "e", channel: "news", data: "{}" });
      const post = (length: number) =>
        `POST ${path}?${signQuery(APP_A, "POST", path, body, Date.now())} HTTP/1.1\r\nHost: 127.0.0.1\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${length}\r\n\r\n`;
      // Broken off: half a body, then the connection goes away (20 times).
      for (let i = 0; i < 20; i++) {
        const broken = await rawConnection(server.port, post(body.length) + body.slice(0, 10));
        await delay(5);
        broken.socket.destroy();
      }
      // Trickled: the body in three pieces 50 ms apart is published.
      const subscriber = await open();
      subscriber.send({ event: "pusher:subscribe", data: { channel: "news" } });
      assert.equal((await subscriber.next(5_000)).event, "pusher_internal:subscription_succeeded");
      const slow = await rawConnection(server.port, post(body.length));
      for (const piece of [body.slice(0, 5), body.slice(5, 20), body.slice(20)]) {
        await delay(50);
        slow.socket.write(piece);
      }
      await slow.waitFor(/^HTTP\/1\.1 200/);
      slow.socket.destroy();
      assert.equal((await subscriber.next(5_000)).event, "e");
      // Overstated: a declared length past max_request_size is refused before any of the body is read.
      const huge = await rawConnection(server.port, post(50_000_000));
      await huge.waitFor(/^HTTP\/1\.1 413/);
      huge.socket.destroy();
      const sent = await sdk.trigger("news", "after", {});
      assert.equal(sent.status, 200);
      assert.equal((await subscriber.next(5_000)).event, "after");
      await subscriber.close();
      await delay(300);
      assert.equal(server.output().slice(logged), "", "nothing logged for broken or slow publishes");
    });

    it("7. a channel named __proto__ (or constructor) is listed like any other", async () => {
      const client = await open();
      for (const channel of ["__proto__", "constructor"]) {
        client.send({ event: "pusher:subscribe", data: { channel } });
        assert.equal((await client.next()).event, "pusher_internal:subscription_succeeded");
      }
      const listed = (await (await sdk.get({ path: "/channels", params: { info: "subscription_count" } })).json()) as { channels: Record<string, unknown> };
      assert.deepEqual(Object.keys(listed.channels).sort(), ["__proto__", "constructor"]);
      assert.deepEqual(Object.getOwnPropertyDescriptor(listed.channels, "__proto__")?.value, { subscription_count: 1 });
      await client.close();
    });

    it("8. a message far over max_message_size is refused with 1009, and the server carries on", async () => {
      const client = await open();
      client.send(JSON.stringify({ event: "client-big", channel: "private-x", data: "x".repeat(5 * 1024 * 1024) }));
      const closed = await client.closed;
      assert.equal(closed.code, 1009);
      // Bun refuses a message over every app's limit itself, with its own wording (README, runtime differences).
      assert.match(closed.reason, runtime === "bun" ? /^(Maximum message size exceeded|Received too big message)$/ : /^Maximum message size exceeded$/);
      await assertServing();
    });

    it("keeps holding: a signature over another body, a GET signature on HEAD, other apps' channels, no deflate", async () => {
      const { appId } = credentials();
      const path = `/apps/${appId}/events`;
      const body = JSON.stringify({ name: "e", data: "{}", channel: "news" });
      const query = signQuery(APP_A, "POST", path, body, Date.now());
      const swapped = await http(`${path}?${query}`, { method: "POST", body: JSON.stringify({ name: "evil", data: "{}", channel: "news" }), headers: { "content-type": "application/json" } });
      assert.equal(swapped.status, 401);
      const getQuery = signQuery(APP_A, "GET", `/apps/${appId}/connections`, "", Date.now());
      assert.notEqual((await http(`/apps/${appId}/connections?${getQuery}`, { method: "HEAD" })).status, 200);
      // Two apps are isolated: app B's subscriber on the same channel name gets nothing of app A's events.
      const other = await open("reverb-key-2");
      other.send({ event: "pusher:subscribe", data: { channel: "news" } });
      assert.equal((await other.next()).event, "pusher_internal:subscription_succeeded");
      await sdk.trigger("news", "only-for-a", {});
      assert.equal(await other.silentFor(300), true);
      // permessage-deflate is never negotiated (it would let a small frame expand without bound).
      assert.equal(other.upgradeHeaders["sec-websocket-extensions"], undefined);
      await other.close();
    });
  });
}

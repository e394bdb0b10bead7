/**
 * @module The dashboard in process: its ring series, the figures it samples (one node and a cluster), who may open it
 * (token, signed session, CSRF), the event creator's checks, its live stream and its debug feed.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DashboardState, HISTORY_SECONDS, sum, type Figures } from "../../src/dashboard/dashboard-state.ts";
import { isSession, isToken, newSession, SESSION_MS } from "../../src/dashboard/dashboard-session.ts";
import { DebugFeed, type DebugEntry } from "../../src/dashboard/debug-feed.ts";
import { RingSeries } from "../../src/dashboard/ring-series.ts";
import { CLUSTER_DEFAULTS } from "../../src/scaling/cluster-broker.ts";
import { createCluster } from "../support/cluster-harness.ts";
import { APP_A, APP_B, FIXTURE_APPS } from "../support/fixtures.ts";
import { createTestCore } from "../support/harness.ts";
import { apiFor, ORIGIN, rawRequest, send } from "../support/signed-request.ts";

const TOKEN = "unit-dashboard-token-0123456789";

describe("RingSeries", () => {
  it("keeps the last `size` values, oldest first, in fixed memory", () => {
    const ring = new RingSeries(3);
    assert.deepEqual(ring.toArray(), []);
    assert.equal(ring.latest, 0);
    ring.push(1);
    ring.push(2);
    assert.deepEqual(ring.toArray(), [1, 2]);
    for (const value of [3, 4, 5]) ring.push(value);
    assert.deepEqual(ring.toArray(), [3, 4, 5]);
    assert.equal(ring.latest, 5);
    assert.equal(ring.length, 3);
  });
});

describe("dashboard figures", () => {
  const figures = (over: Partial<Figures>): Figures => ({
    connections: 0, clusterConnections: 0, members: 0, messagesIn: 0, messagesOut: 0, http: 0, httpErrors: 0, rateLimited: 0,
    channels: { public: 0, private: 0, presence: 0, cache: 0, encrypted: 0 },
    ...over,
  });

  it("adds up apps, channel kinds included", () => {
    const total = sum([
      figures({ connections: 2, messagesIn: 5, channels: { public: 1, private: 0, presence: 2, cache: 0, encrypted: 0 } }),
      figures({ connections: 3, httpErrors: 1, channels: { public: 0, private: 4, presence: 0, cache: 1, encrypted: 1 } }),
    ]);
    assert.equal(total.connections, 5);
    assert.equal(total.messagesIn, 5);
    assert.equal(total.httpErrors, 1);
    assert.deepEqual(total.channels, { public: 1, private: 4, presence: 2, cache: 1, encrypted: 1 });
  });

  it("counts one node's connections, channels by kind, members and per-second rates, per app and in total", async () => {
    const harness = createTestCore({ dashboardToken: TOKEN });
    const { core, connect } = harness;
    const state = new DashboardState(core.hub, core.broker, core.metrics!);
    state.sample();
    const alice = connect(APP_A);
    const bob = connect(APP_A);
    connect(APP_B);
    for (const channel of ["news", "private-orders", "cache-prices", "private-encrypted-secrets"]) alice.subscribe(channel);
    alice.subscribe("presence-room", { channelData: { user_id: "alice" } });
    bob.subscribe("presence-room", { channelData: { user_id: "bob" } });
    bob.subscribe("news");
    for (let i = 0; i < 3; i++) alice.send({ event: "pusher:ping", data: {} });
    assert.equal((await apiFor(harness)("POST", "/events", { name: "hi", channel: "news", data: "{}" })).status, 200);
    assert.equal((await send(core, rawRequest("POST", `/apps/${APP_A.id}/events?auth_key=x`, { name: "x" }))).status, 401);
    assert.equal((await send(core, rawRequest("GET", "/up"))).status, 200);
    state.sample();

    const a = state.figuresNow().get(APP_A.id)!;
    assert.equal(a.connections, 2);
    assert.equal(a.clusterConnections, 2);
    assert.deepEqual(a.channels, { public: 1, private: 1, presence: 1, cache: 1, encrypted: 1 });
    assert.equal(a.members, 2);
    assert.equal(a.messagesIn, 3 + 7, "three pings and seven subscriptions");
    assert.ok(a.messagesOut >= 3 + 7 + 2, "pongs, subscription replies and the event to two subscribers");
    assert.equal(a.http, 1);
    assert.equal(a.httpErrors, 0, "a request that cannot prove its app is not the app's");
    const all = state.figuresNow().get("*")!;
    assert.equal(all.connections, 3);
    assert.equal(all.http, 2, "but it is an API request all the same; health checks are not");
    assert.equal(all.httpErrors, 1);
    assert.equal(state.figuresNow().get(APP_B.id)!.connections, 1);

    state.sample(); // nothing happened in this second
    assert.equal(state.figuresNow().get(APP_A.id)!.messagesIn, 0);
    assert.deepEqual(state.series(APP_A.id)!.messagesIn, [0, 10, 0]);
    assert.deepEqual(state.series("*")!.clusterConnections, [0, 3, 3]);
    assert.equal(state.nodes(), undefined, "one node has no node table");
    assert.deepEqual({ ...state.nodeStats(), connections: { ...state.nodeStats().connections } }, { connections: { [APP_A.id]: 2, [APP_B.id]: 1, [FIXTURE_APPS[2]!.id]: 0 }, in: 0, out: 0 });

    assert.deepEqual(state.busiest(2), [
      { app: APP_A.id, channel: "news", subscriptions: 2 },
      { app: APP_A.id, channel: "presence-room", subscriptions: 2 },
    ]);
    for (let i = 0; i < HISTORY_SECONDS + 5; i++) state.sample();
    assert.equal(state.series("*")!.http.length, HISTORY_SECONDS, "15 minutes and no more");
    await core.shutdown();
  });

  it("ranks the busiest channels like a full sort would, ties by name, once per sample", () => {
    const { core, connect } = createTestCore({ dashboardToken: TOKEN });
    const clients = Array.from({ length: 12 }, () => connect(APP_A));
    const expected: Array<{ app: string; channel: string; subscriptions: number }> = [];
    for (let i = 0; i < 40; i++) {
      const channel = `room-${String(i).padStart(2, "0")}`;
      const subscriptions = 1 + ((i * 7) % 12); // ties and an order unlike the names'
      for (const client of clients.slice(0, subscriptions)) client.subscribe(channel);
      expected.push({ app: APP_A.id, channel, subscriptions });
    }
    expected.sort((a, b) => b.subscriptions - a.subscriptions || a.channel.localeCompare(b.channel));
    const state = new DashboardState(core.hub, core.broker, core.metrics!);
    state.sample();
    assert.deepEqual(state.busiest(), expected.slice(0, 10));
    assert.deepEqual(state.busiest(3), expected.slice(0, 3));
    clients[0]!.subscribe("room-39-new");
    for (const client of clients) client.subscribe("zz-everyone");
    assert.deepEqual(state.busiest(3), expected.slice(0, 3), "the same second: the same table");
    state.sample();
    assert.deepEqual(state.busiest(20).filter(({ subscriptions }) => subscriptions === 12).map(({ channel }) => channel), ["room-05", "room-17", "room-29", "zz-everyone"]);
  });

  it("sees the whole cluster: other nodes' connections, subscriptions and load from their heartbeats", async () => {
    const { clock, nodes: [a, b] } = createCluster(2, FIXTURE_APPS, { dashboardToken: TOKEN });
    a!.connect().subscribe("news");
    const onB = [b!.connect(), b!.connect(), b!.connect()];
    for (const client of onB) client.subscribe("news");
    onB[0]!.subscribe("private-b-only");
    const state = new DashboardState(a!.core.hub, a!.core.broker, a!.core.metrics!);
    clock.advance(CLUSTER_DEFAULTS.heartbeatMs * 3);
    state.sample();
    const figures = state.figuresNow().get(APP_A.id)!;
    assert.equal(figures.connections, 1);
    assert.equal(figures.clusterConnections, 4);
    const nodes = state.nodes()!;
    assert.deepEqual(nodes.map(({ id, self, connections }) => ({ id, self, connections })), [
      { id: "A", self: true, connections: 1 },
      { id: "B", self: false, connections: 3 },
    ]);
    assert.deepEqual(state.busiest(), [
      { app: APP_A.id, channel: "news", subscriptions: 4 },
      { app: APP_A.id, channel: "private-b-only", subscriptions: 1 },
    ]);
    await Promise.all([a!.core.shutdown(), b!.core.shutdown()]);
  });
});

describe("dashboard sessions", () => {
  const now = 1_700_000_000_000;

  it("accepts only the token, in constant time", () => {
    assert.equal(isToken(TOKEN, TOKEN), true);
    assert.equal(isToken(TOKEN, `${TOKEN}x`), false);
    assert.equal(isToken(TOKEN, ""), false);
    assert.equal(isToken(TOKEN, undefined), false);
  });

  it("signs a session with the token for 12 hours; tampering, expiry and another token end it", () => {
    const session = newSession(TOKEN, now);
    assert.equal(isSession(TOKEN, session, now), true);
    assert.equal(isSession(TOKEN, session, now + SESSION_MS - 1), true);
    assert.equal(isSession(TOKEN, session, now + SESSION_MS), false, "expired");
    assert.equal(isSession(`${TOKEN}-rotated`, session, now), false, "a new token ends old sessions");
    const [expires, signature] = session.split(".") as [string, string];
    assert.equal(isSession(TOKEN, `${Number(expires) + 1000}.${signature}`, now), false, "a longer life is not signed");
    assert.equal(isSession(TOKEN, `${expires}.${signature.replace(/.$/, (c) => (c === "0" ? "1" : "0"))}`, now), false);
    for (const junk of [undefined, "", ".", "abc.def", `${expires}`, `.${signature}`, `-1.${signature}`, `1e99.${signature}`]) {
      assert.equal(isSession(TOKEN, junk, now), false, String(junk));
    }
  });
});

describe("dashboard routes", () => {
  const sessionCookie = async (core: { fetch(request: Request): Response | Promise<Response> }, base = "/dashboard") => {
    const response = await core.fetch(rawRequest("GET", `${base}?token=${TOKEN}`));
    assert.equal(response.status, 303);
    assert.equal(response.headers.get("location"), base);
    const cookie = response.headers.get("set-cookie")!;
    return { cookie, value: cookie.split(";")[0]! };
  };

  it("are not there without a token", async () => {
    const { core } = createTestCore();
    assert.equal((await core.fetch(rawRequest("GET", `/dashboard?token=${TOKEN}`))).status, 404);
    await core.shutdown();
  });

  it("answer 401 with nothing to learn unless the token or a session opens them", async () => {
    const { core } = createTestCore({ dashboardToken: TOKEN });
    for (const [method, path] of [["GET", "/dashboard"], ["GET", "/dashboard?token=wrong"], ["GET", "/dashboard?token="], ["GET", "/dashboard/stream"], ["POST", "/dashboard/events"], ["GET", "/dashboard/nope"], ["PUT", "/dashboard"]] as const) {
      const response = await send(core, rawRequest(method, path, method === "POST" ? {} : undefined, { cookie: "resound_dashboard=123.abc" }));
      assert.equal(response.status, 401, `${method} ${path}`);
      assert.equal(response.text, '{"error":"Unauthorized."}');
      assert.equal(response.headers.get("cache-control"), "no-store");
    }
    await core.shutdown();
  });

  it("trade the token for an HttpOnly, SameSite=Strict session and serve the page under a strict CSP", async () => {
    const { core } = createTestCore({ dashboardToken: TOKEN, path: "/ws" });
    const { cookie, value } = await sessionCookie(core, "/ws/dashboard");
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Strict/);
    assert.match(cookie, /Path=\/ws\/dashboard/);
    assert.match(cookie, new RegExp(`Max-Age=${SESSION_MS / 1000}`));
    assert.doesNotMatch(cookie, /Secure/, "plain HTTP cannot keep a Secure cookie");
    const secure = await core.fetch(new Request(`https://localhost/ws/dashboard?token=${TOKEN}`));
    assert.match(secure.headers.get("set-cookie")!, /Secure/);
    const proxied = await core.fetch(rawRequest("GET", `/ws/dashboard?token=${TOKEN}`, undefined, { "x-forwarded-proto": "https" }));
    assert.match(proxied.headers.get("set-cookie")!, /Secure/, "TLS ended at a proxy");

    const page = await send(core, rawRequest("GET", "/ws/dashboard", undefined, { cookie: value }));
    assert.equal(page.status, 200);
    const csp = page.headers.get("content-security-policy")!;
    const nonce = /script-src 'nonce-([^']+)'/.exec(csp)![1]!;
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.ok(page.text.includes(`<script nonce="${nonce}">`), "the page's script carries the nonce");
    assert.doesNotMatch(page.text, /https?:\/\//, "nothing is loaded from elsewhere");
    assert.equal(page.headers.get("x-frame-options"), "DENY");
    const again = await send(core, rawRequest("GET", "/ws/dashboard", undefined, { cookie: value }));
    assert.notEqual(/nonce-([^']+)'/.exec(again.headers.get("content-security-policy")!)![1], nonce, "a fresh nonce per page");

    assert.equal((await core.fetch(rawRequest("PUT", "/ws/dashboard", undefined, { cookie: value }))).status, 405);
    assert.equal((await core.fetch(rawRequest("GET", "/ws/dashboard/nope", undefined, { cookie: value }))).status, 404);
    await core.shutdown();
  });

  it("publish from the event creator through the HTTP API's checks, and refuse cross-site posts", async () => {
    const { core, connect } = createTestCore({ dashboardToken: TOKEN });
    const { value } = await sessionCookie(core);
    const client = connect(APP_A);
    client.subscribe("orders");
    client.take();
    const post = (body: unknown, headers: Record<string, string> = {}) =>
      send(core, rawRequest("POST", "/dashboard/events", body, { cookie: value, ...headers }));

    for (const origin of ["https://evil.example", "http://localhost:8081", "null"]) {
      assert.equal((await post({ app: APP_A.id, channel: "orders", name: "x", data: "{}" }, { origin })).status, 401, origin);
    }
    assert.equal((await post("name=x", { "content-type": "application/x-www-form-urlencoded" })).status, 400);
    assert.equal((await post("{not json")).status, 400);
    const noApp = await post({ app: "nope", channel: "orders", name: "x", data: "{}" });
    assert.equal(noApp.status, 422);
    const badChannel = await post({ app: APP_A.id, channel: "bad channel!", name: "x", data: "{}" });
    assert.equal(badChannel.status, 422);
    assert.deepEqual(client.take(), [], "nothing was published by refused posts");

    const ok = await post({ app: APP_A.id, channel: "orders", name: "shipped", data: '{"id":1}' }, { origin: ORIGIN });
    assert.equal(ok.status, 200);
    assert.deepEqual(ok.json, { published: true });
    const frames = client.take();
    assert.deepEqual(frames.map(({ event, channel, data }) => ({ event, channel, data })), [{ event: "shipped", channel: "orders", data: { id: 1 } }]);
    const behindTls = await post({ app: APP_A.id, channel: "orders", name: "again", data: "{}" }, { origin: ORIGIN.replace("http:", "https:") });
    assert.equal(behindTls.status, 200, "an https page behind a proxy that speaks http to Resound");
    assert.equal(client.take().length, 1);
    await core.shutdown();
  });

  it("stream the apps, history and current figures first", async () => {
    const { core, connect } = createTestCore({ dashboardToken: TOKEN });
    const { value } = await sessionCookie(core);
    connect(APP_A);
    const response = await core.fetch(rawRequest("GET", "/dashboard/stream", undefined, { cookie: value }));
    assert.equal(response.status, 200);
    assert.match(response.headers.get("content-type")!, /^text\/event-stream/);
    assert.equal(response.headers.get("x-accel-buffering"), "no");
    const reader = response.body!.getReader();
    let text = "";
    while (!text.includes("\n\n")) text += new TextDecoder().decode((await reader.read()).value);
    await reader.cancel();
    assert.match(text, /^event: hello\ndata: /);
    const hello = JSON.parse(/data: (.*)/.exec(text)![1]!) as { apps: string[]; historySeconds: number; nodes: unknown; redis: unknown; busiest: unknown[] };
    assert.deepEqual(hello.apps, FIXTURE_APPS.map((app) => app.id));
    assert.equal(hello.historySeconds, HISTORY_SECONDS);
    assert.equal(hello.nodes, null);
    assert.equal(hello.redis, null);
    await core.shutdown();
  });
});

describe("debug feed", () => {
  it("listens to lifecycle events only while a dashboard is open, with payload previews", () => {
    const { core, connect, clock } = createTestCore();
    const feed = new DebugFeed(core.hub.events, clock);
    assert.equal(core.hub.events.wants("subscribed"), false);
    const seen: DebugEntry[] = [];
    const stop = feed.subscribe((entry) => void seen.push(entry));
    assert.equal(core.hub.events.wants("subscribed"), true);
    const client = connect(APP_B);
    client.subscribe("private-chat");
    client.send({ event: "client-typing", channel: "private-chat", data: { text: "x".repeat(300) } });
    client.send({ event: "pusher:subscribe", data: { channel: "private-chat", auth: "wrong" } });
    client.disconnect();
    stop();
    assert.equal(core.hub.events.wants("subscribed"), false, "nothing listens once the last dashboard closes");
    connect(APP_B);
    assert.deepEqual(seen.map(({ type }) => type), ["connected", "subscribed", "client event", "error", "unsubscribed", "disconnected"]);
    const typing = seen[2]!;
    assert.equal(typing.channel, "private-chat");
    assert.equal(typing.event, "client-typing");
    assert.equal(typing.detail!.length, 201, "200 characters and an ellipsis");
    assert.ok(seen.every((entry) => entry.time === clock.now() && entry.app === APP_B.id));
  });
});

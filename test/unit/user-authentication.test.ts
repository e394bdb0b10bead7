/** @module pusher:signin, #server-to-user channels, terminate by user, sign-in deadline, watchlists — one node and a cluster. */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { App } from "../../src/apps/app.ts";
import { userSignature } from "../../src/protocol/signin.ts";
import { createCluster } from "../support/cluster-harness.ts";
import { APP_A } from "../support/fixtures.ts";
import { createTestCore, type TestClient } from "../support/harness.ts";
import { apiFor } from "../support/signed-request.ts";

/** Signs `client` in as `userData` (an object, encoded as the app server would), returns the replies. */
function signin(client: TestClient, userData: Record<string, unknown>, app: App = APP_A, tamper = (auth: string) => auth) {
  const encoded = JSON.stringify(userData);
  const auth = tamper(`${app.key}:${userSignature(app, client.socketId, encoded)}`);
  client.send({ event: "pusher:signin", data: { auth, user_data: encoded } });
  return client.take();
}

const error = (frames: Array<{ event: string; data?: unknown }>) => frames.find((f) => f.event === "pusher:error")?.data as { code: number; message: string } | undefined;

describe("pusher:signin", () => {
  it("answers signin_success with the user_data as signed, and joins the user's channel", () => {
    const { connect, core } = createTestCore();
    const client = connect();
    client.take();
    const frames = signin(client, { id: "u1", name: "Ada" });
    assert.deepEqual(frames.map((f) => f.raw), [JSON.stringify({ event: "pusher:signin_success", data: JSON.stringify({ user_data: '{"id":"u1","name":"Ada"}' }) })]);
    assert.equal(client.connection.user?.id, "u1");
    assert.ok(core.hub.state(APP_A).channels.find("#server-to-user-u1")?.subscribers.has(client.connection));
    // pusher-js subscribes to it after signin_success: that is allowed for this user only.
    assert.equal(client.subscribe("#server-to-user-u1")[0]?.event, "pusher_internal:subscription_succeeded");
  });

  it("refuses a forged, truncated or other socket's signature, and malformed user_data, leaving no identity", () => {
    const { connect } = createTestCore();
    const client = connect();
    client.take();
    const other = connect();
    other.take();
    const forged = [
      (auth: string) => auth.slice(0, -1),
      (auth: string) => `${APP_A.key}:`,
      (auth: string) => auth.replace(APP_A.key, "another-key"),
      (auth: string) => `${APP_A.key}:${userSignature(APP_A, other.socketId, '{"id":"u1"}')}`,
    ];
    for (const tamper of forged) assert.equal(error(signin(client, { id: "u1" }, APP_A, tamper))?.code, 4009);
    for (const userData of [{ name: "no id" }, { id: "" }, { id: 7 }, { id: "a b" }, { id: "u1", watchlist: Array.from({ length: 101 }, (_, i) => `w${i}`) }]) {
      assert.match(error(signin(client, userData))?.message ?? "", /^Invalid signin: user_data/, JSON.stringify(userData));
    }
    client.send({ event: "pusher:signin", data: { auth: "x" } });
    assert.equal(error(client.take())?.code, 4200);
    assert.equal(client.connection.user, undefined);
    assert.equal(error(client.subscribe("#server-to-user-u1"))?.code, 4009, "not signed in: no access to the user's channel");
  });

  it("lets nobody else subscribe to a user's channel", () => {
    const { connect } = createTestCore();
    const alice = connect();
    alice.take();
    signin(alice, { id: "alice" });
    assert.equal(error(alice.subscribe("#server-to-user-bob"))?.code, 4009);
    assert.equal(error(alice.subscribe("#server-to-user-"))?.code, 4300);
    assert.equal(error(signin(alice, { id: "bob" }))?.message, "The connection is already signed in as another user");
  });

  it("delivers sendToUser (POST /events to #server-to-user-{id}) to every socket of that user only", async () => {
    const harness = createTestCore();
    const [tab1, tab2, other] = [harness.connect(), harness.connect(), harness.connect()];
    for (const client of [tab1, tab2, other]) client.take();
    signin(tab1, { id: "u1" });
    signin(tab2, { id: "u1" });
    signin(other, { id: "u2" });
    const response = await apiFor(harness)("POST", "/events", { name: "notice", data: '{"x":1}', channel: "#server-to-user-u1" });
    assert.equal(response.status, 200);
    for (const client of [tab1, tab2]) assert.deepEqual(client.take().map((f) => [f.event, f.channel]), [["notice", "#server-to-user-u1"]]);
    assert.deepEqual(other.take(), []);
    const listed = await apiFor(harness)("GET", "/channels");
    assert.deepEqual(listed.json, { channels: {} }, "users' own channels are not listed");
  });

  it("terminate_connections closes the user's signed-in sockets", async () => {
    const harness = createTestCore();
    const [mine, theirs] = [harness.connect(), harness.connect()];
    for (const client of [mine, theirs]) client.take();
    signin(mine, { id: "u1" });
    signin(theirs, { id: "u2" });
    await apiFor(harness)("POST", "/users/u1/terminate_connections");
    assert.equal(mine.socket.closedWith?.code, 4009);
    assert.equal(theirs.socket.closedWith, undefined);
  });

  it("closes a connection that does not sign in within user_authentication_timeout (and not one that does)", () => {
    const app: App = { ...APP_A, userAuthenticationTimeout: 5 };
    const { connect, clock } = createTestCore({ apps: [app] });
    const lazy = connect(app);
    const prompt = connect(app);
    lazy.take();
    prompt.take();
    signin(prompt, { id: "u1" }, app);
    clock.advance(5_000);
    assert.deepEqual(lazy.socket.closedWith, { code: 4009, reason: "Connection not signed in within the time allowed" });
    assert.equal(prompt.socket.closedWith, undefined);
  });
});

describe("watchlists", () => {
  const online = (frames: Array<{ event: string; data?: unknown }>) =>
    frames.filter((f) => f.event === "pusher_internal:watchlist_events").flatMap((f) => (f.data as { events: Array<{ name: string; user_ids: string[] }> }).events);

  it("tells a watcher who is online at sign-in, then who comes online and goes offline (once per user)", () => {
    const { connect } = createTestCore();
    const bob = connect();
    bob.take();
    signin(bob, { id: "bob" });
    const watcher = connect();
    watcher.take();
    const frames = signin(watcher, { id: "ada", watchlist: ["bob", "cy"] });
    assert.deepEqual(online(frames), [{ name: "online", user_ids: ["bob"] }]);
    const cy1 = connect();
    const cy2 = connect();
    cy1.take();
    cy2.take();
    signin(cy1, { id: "cy" });
    signin(cy2, { id: "cy" });
    assert.deepEqual(online(watcher.take()), [{ name: "online", user_ids: ["cy"] }], "a second tab is no news");
    cy1.disconnect();
    assert.deepEqual(online(watcher.take()), []);
    cy2.disconnect();
    bob.disconnect();
    assert.deepEqual(online(watcher.take()), [{ name: "offline", user_ids: ["cy"] }, { name: "offline", user_ids: ["bob"] }]);
  });

  it("works across nodes: online while the user has a socket on any node", () => {
    const { clock, nodes: [a, b] } = createCluster(2);
    const watcher = a!.connect();
    watcher.take();
    signin(watcher, { id: "ada", watchlist: ["bob"] });
    const bob1 = b!.connect();
    bob1.take();
    signin(bob1, { id: "bob" });
    assert.deepEqual(online(watcher.take()), [{ name: "online", user_ids: ["bob"] }]);
    const bob2 = a!.connect();
    bob2.take();
    signin(bob2, { id: "bob" });
    bob1.disconnect();
    assert.deepEqual(online(watcher.take()), [], "still online on node A");
    bob2.disconnect();
    assert.deepEqual(online(watcher.take()), [{ name: "offline", user_ids: ["bob"] }]);
    // A node dying takes its users offline.
    const bob3 = b!.connect();
    bob3.take();
    signin(bob3, { id: "bob" });
    watcher.take();
    b!.link.closed = true;
    clock.advance(10_000);
    assert.deepEqual(online(watcher.take()), [{ name: "offline", user_ids: ["bob"] }]);
  });

  it("delivers sendToUser across nodes, and terminate_connections reaches every node", async () => {
    const { nodes: [a, b] } = createCluster(2);
    const onB = b!.connect();
    onB.take();
    signin(onB, { id: "u1" });
    await a!.broker.publish(APP_A, { name: "notice", data: "{}", channels: ["#server-to-user-u1"] });
    assert.deepEqual(onB.take().map((f) => f.event), ["notice"]);
    await a!.broker.terminateUser(APP_A, "u1");
    assert.equal(onB.socket.closedWith?.code, 4009);
  });
});

describe("cluster-wide transitions", () => {
  it("channelOccupied/Vacated and presenceJoined/Left fire once in the cluster, on every node, dead nodes included", () => {
    const { clock, nodes: [a, b] } = createCluster(2);
    const seen: string[] = [];
    for (const node of [a!, b!]) {
      node.core.events.on("channelOccupied", (e) => seen.push(`${node.id} occupied ${e.channel}`));
      node.core.events.on("channelVacated", (e) => seen.push(`${node.id} vacated ${e.channel}`));
      node.core.events.on("presenceJoined", (e) => seen.push(`${node.id} joined ${e.userId}`));
      node.core.events.on("presenceLeft", (e) => seen.push(`${node.id} left ${e.userId}`));
    }
    const x = a!.connect();
    x.subscribe("presence-room", { channelData: { user_id: "x" } });
    const y = b!.connect();
    y.subscribe("presence-room", { channelData: { user_id: "x" } });
    assert.deepEqual(seen.sort(), ["A joined x", "A occupied presence-room", "B joined x", "B occupied presence-room"]);
    seen.length = 0;
    x.disconnect();
    assert.deepEqual(seen, [], "x is still present on B");
    b!.link.closed = true;
    clock.advance(10_000);
    assert.deepEqual((seen as string[]).filter((line) => line.startsWith("A")), ["A left x", "A vacated presence-room"]);
  });
});

/**
 * @module What the dashboard costs, in process: its once-a-second sample (which runs whether or not a page is open),
 * the busiest-channels table (only while a page is open, once a second for all pages), and fan-out with and without an open
 * debug console. 20,000 connections on 10,000 channels of every type.
 * `node --import tsx bench/dashboard-cost.ts`, `bun bench/dashboard-cost.ts`, `deno run -A bench/dashboard-cost.ts`
 */

import { DashboardState } from "../src/dashboard/dashboard-state.ts";
import { DebugFeed } from "../src/dashboard/debug-feed.ts";
import { createServer } from "../src/server.ts";
import { systemClock } from "../src/support/clock.ts";
import { APP_A } from "../test/support/fixtures.ts";
import { validAuth } from "../test/support/harness.ts";

const CONNECTIONS = 20_000;
const CHANNELS = 10_000;
const PREFIXES = ["", "private-", "presence-", "cache-", "private-encrypted-"];

const core = createServer({ apps: [APP_A], dashboardToken: "bench-dashboard-token-0123456789" });
const socket = { send() {}, close() {}, ping() {}, getBufferedAmount: () => 0 };
const connections = Array.from({ length: CONNECTIONS }, () => {
  const connection = core.hub.session(APP_A.key, null);
  connection.open(socket);
  return connection;
});
const subscribe = (connection: (typeof connections)[number], channel: string) => {
  const channelData = channel.startsWith("presence-") ? JSON.stringify({ user_id: connection.socketId }) : undefined;
  const auth = validAuth(APP_A, connection.socketId, channel, channelData);
  connection.message(JSON.stringify({ event: "pusher:subscribe", data: { channel, auth, channel_data: channelData } }));
};
// Every channel gets two subscribers, and "news", for the fan-out figure, everyone.
for (let i = 0; i < CHANNELS; i++) {
  const name = `${PREFIXES[i % PREFIXES.length]}channel-${i}`;
  subscribe(connections[(2 * i) % CONNECTIONS]!, name);
  subscribe(connections[(2 * i + 1) % CONNECTIONS]!, name);
}
for (const connection of connections) subscribe(connection, "news");

const state = new DashboardState(core.hub, core.broker, core.metrics!);
const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const time = (task: () => unknown, rounds: number) => {
  const took: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const started = performance.now();
    task();
    took.push(performance.now() - started);
  }
  return Number(median(took).toFixed(3));
};

function nsPerDelivery(): number {
  const events = 100;
  for (let i = 0; i < 20; i++) core.hub.publish(APP_A, { name: "warm-up", data: "{}", channels: ["news"] });
  const started = performance.now();
  for (let i = 0; i < events; i++) core.hub.publish(APP_A, { name: "e", data: `{"seq":${i}}`, channels: ["news"] });
  return ((performance.now() - started) * 1e6) / (events * CONNECTIONS);
}

const sampleMs = time(() => state.sample(), 50);
// The table is worked out once per sample, however many pages are open.
const withBusiestMs = time(() => (state.sample(), state.busiest()), 20);
const rounds: Array<{ closed: number; open: number }> = [];
const feed = new DebugFeed(core.hub.events, systemClock);
for (let round = 0; round < 5; round++) {
  const closed = nsPerDelivery();
  const stop = feed.subscribe(() => {});
  rounds.push({ closed, open: nsPerDelivery() });
  stop();
}
console.log(JSON.stringify({
  connections: CONNECTIONS,
  channels: core.hub.state(APP_A).channels.channels.size,
  sampleMsPerSecond: sampleMs,
  sampleAndBusiestMsPerSecond: withBusiestMs,
  nsPerDeliveryDashboardClosed: Number(median(rounds.map((r) => r.closed)).toFixed(2)),
  nsPerDeliveryDebugConsoleOpen: Number(median(rounds.map((r) => r.open)).toFixed(2)),
}));
await core.shutdown();

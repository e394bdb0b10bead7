/**
 * @module The core's own fan-out cost, in process and without a network: 5,000 subscribers on sockets that do
 * nothing, ns per delivery with nobody listening to lifecycle events and with metrics counting. Much steadier than
 * the load tests on a shared VM, for checking what a change costs on the hot path.
 * `node --import tsx bench/core-fanout.ts`, `bun bench/core-fanout.ts`, `deno run -A bench/core-fanout.ts`
 */

import { Metrics } from "../src/metrics/metrics.ts";
import { createServer } from "../src/server.ts";
import { APP_A } from "../test/support/fixtures.ts";

const SUBSCRIBERS = 5_000;
const EVENTS = 400;

const core = createServer({ apps: [APP_A] });
const socket = { send() {}, close() {}, ping() {}, getBufferedAmount: () => 0 };
for (let i = 0; i < SUBSCRIBERS; i++) {
  const connection = core.hub.session(APP_A.key, null);
  connection.open(socket);
  connection.message(JSON.stringify({ event: "pusher:subscribe", data: { channel: "news" } }));
}

function nsPerDelivery(): number {
  for (let i = 0; i < 50; i++) core.hub.publish(APP_A, { name: "warm-up", data: "{}", channels: ["news"] });
  const started = performance.now();
  for (let i = 0; i < EVENTS; i++) core.hub.publish(APP_A, { name: "e", data: `{"seq":${i},"pad":"${"x".repeat(100)}"}`, channels: ["news"] });
  return ((performance.now() - started) * 1e6) / (EVENTS * SUBSCRIBERS);
}

const rounds: Array<{ off: number; metrics: number }> = [];
for (let round = 0; round < 5; round++) {
  const off = nsPerDelivery();
  const metrics = new Metrics(core.hub, core.broker);
  rounds.push({ off, metrics: nsPerDelivery() });
  metrics.stop();
}
const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
console.log(JSON.stringify({
  subscribers: SUBSCRIBERS,
  events: EVENTS,
  nsPerDeliveryNoListeners: Number(median(rounds.map((r) => r.off)).toFixed(2)),
  nsPerDeliveryWithMetrics: Number(median(rounds.map((r) => r.metrics)).toFixed(2)),
}));

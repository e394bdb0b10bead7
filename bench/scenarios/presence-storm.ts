/** @module presence-storm: S clients join one presence channel at once, then leave, K rounds; join and member_added latency. */

// Each round expects exactly S(S-1)/2 member_added and S(S-1)/2 member_removed frames: of every pair, the later joiner
// (earlier leaver) is announced to the other. member_added latency runs from the joiner's subscribe to the delivery.

import { channelAuth } from "../lib/sign.ts";
import type { Client } from "../lib/client.ts";
import { readUserNumber } from "../lib/extract.ts";
import { progress } from "../lib/progress.ts";
import { nowMs, percentiles } from "../lib/stats.ts";
import type { Context, Result } from "./context.ts";
import { connectMeasured, cpuMeasured, deliveryMetrics, sleep, waitForDeliveries } from "./measure.ts";

const ADDED = Buffer.from("member_added");
const REMOVED = Buffer.from("member_removed");
const SUCCEEDED = Buffer.from("subscription_succeeded");
const ERROR = Buffer.from("pusher:error");

export async function presenceStorm(ctx: Context): Promise<Result> {
  const notes: string[] = [];
  const S = ctx.subscribers;
  const channel = "presence-storm";
  const { connected, metrics: connectMetrics } = await connectMeasured(ctx, S, async () => {});
  const clients = connected.clients;
  const n = clients.length;
  const subscribe = clients.map((client) => {
    const channelData = JSON.stringify({ user_id: `u${client.index}`, user_info: { name: `u${client.index}` } });
    return JSON.stringify({ event: "pusher:subscribe", data: { channel, auth: channelAuth(ctx.creds, client.socketId, channel, channelData), channel_data: channelData } });
  });
  const unsubscribe = JSON.stringify({ event: "pusher:unsubscribe", data: { channel } });

  const perRound = (n * (n - 1)) / 2;
  const joinSent = new Float64Array(S);
  const joinLatency = new Float64Array(n * ctx.rounds);
  const addedLatency = new Float64Array(perRound * ctx.rounds);
  let seenAdded = new Uint8Array(S * S);
  let seenRemoved = new Uint8Array(S * S);
  let joined = 0, added = 0, removed = 0, duplicated = 0, errors = 0, joins = 0, adds = 0;
  let firstError: string | undefined;
  let lastProgress = 0;
  const hot = (client: Client, frame: Buffer) => {
    lastProgress = nowMs();
    if (frame.indexOf(ADDED) >= 0) {
      const user = readUserNumber(frame);
      if (user < 0 || user >= S) return void errors++;
      const slot = client.index * S + user;
      if (seenAdded[slot]) return void duplicated++;
      seenAdded[slot] = 1;
      added++;
      addedLatency[adds++] = lastProgress - joinSent[user]!;
    } else if (frame.indexOf(REMOVED) >= 0) {
      const user = readUserNumber(frame);
      if (user < 0 || user >= S) return void errors++;
      const slot = client.index * S + user;
      if (seenRemoved[slot]) return void duplicated++;
      seenRemoved[slot] = 1;
      removed++;
    } else if (frame.indexOf(SUCCEEDED) >= 0) {
      joined++;
      joinLatency[joins++] = lastProgress - joinSent[client.index]!;
    } else if (frame.indexOf(ERROR) >= 0) {
      errors++;
      firstError ??= frame.toString().slice(0, 200);
    } else client.pongIfPing(frame);
  };
  for (const client of clients) client.hot = hot;

  let expectedAdded = 0, expectedRemoved = 0, expectedJoins = 0;
  const started = nowMs();
  const phase = await cpuMeasured(ctx, async () => {
    for (let round = 0; round < ctx.rounds; round++) {
      seenAdded = new Uint8Array(S * S);
      seenRemoved = new Uint8Array(S * S);
      expectedJoins += n;
      expectedAdded += perRound;
      progress(`round ${round + 1}/${ctx.rounds}: ${n} joins`);
      for (let i = 0; i < n; i++) {
        joinSent[clients[i]!.index] = nowMs();
        clients[i]!.send(subscribe[i]!);
      }
      await waitForDeliveries(ctx, () => joined >= expectedJoins && added >= expectedAdded, () => lastProgress, () => true);
      expectedRemoved += perRound;
      progress(`round ${round + 1}/${ctx.rounds}: ${n} leaves`);
      for (const client of clients) client.send(unsubscribe);
      await waitForDeliveries(ctx, () => removed >= expectedRemoved, () => lastProgress, () => true);
      await sleep(200); // the last leaver's unsubscribe notifies nobody; let it land before the next round
    }
  });
  if (errors) notes.push(`${errors} pusher:error frames; first: ${firstError}`);
  const frames = joined + added + removed + duplicated;
  const expected = expectedAdded + expectedRemoved;
  const join = percentiles(joinLatency, joins);
  return {
    notes,
    metrics: {
      ...connectMetrics,
      rounds: ctx.rounds,
      joins: joined,
      joinErrors: errors,
      joinP50Ms: join.p50, joinP95Ms: join.p95, joinP99Ms: join.p99, joinMaxMs: join.max,
      expected,
      received: added + removed,
      lost: expected - added - removed + (expectedJoins - joined),
      duplicated,
      ...deliveryMetrics(phase, frames, started, lastProgress, addedLatency, adds, clients, notes),
    },
  };
}

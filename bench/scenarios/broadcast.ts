/** @module fanout, channels and the two-node run: events published to channel seq % C, each delivery checked per subscriber. */

import { channelAuth } from "../lib/sign.ts";
import type { Client } from "../lib/client.ts";
import { lastTs, padding, payload, readSeq } from "../lib/extract.ts";
import { progress } from "../lib/progress.ts";
import { publish } from "../lib/publisher.ts";
import { nowMs } from "../lib/stats.ts";
import type { Context, Result } from "./context.ts";
import { connectMeasured, cpuMeasured, deliveryMetrics, waitForDeliveries } from "./measure.ts";

/** Channel `c` of the given kind. */
export function channelName(ctx: Context, c: number): string {
  return `${ctx.kind === "public" ? "" : `${ctx.kind}-`}bench-${c}`;
}

/** Subscribes `client` to `channel`, signing private/presence auth locally (presence user id `u<index>`). */
export function subscribeAs(ctx: Context, client: Client, channel: string) {
  if (ctx.kind === "public") return client.subscribe(channel);
  const channelData = ctx.kind === "presence" ? JSON.stringify({ user_id: `u${client.index}`, user_info: { name: `u${client.index}` } }) : undefined;
  return client.subscribe(channel, channelAuth(ctx.creds, client.socketId, channel, channelData), channelData);
}

export async function broadcast(ctx: Context): Promise<Result> {
  const notes: string[] = [];
  const C = ctx.scenario === "fanout" ? 1 : ctx.channels;
  const S = ctx.subscribers;
  const E = ctx.events;
  const { connected, metrics: connectMetrics } = await connectMeasured(ctx, S, (c) => subscribeAs(ctx, c, channelName(ctx, c.index % C)));
  const clients = connected.clients;

  const perSub = Math.ceil(E / C);
  const onChannel = new Uint32Array(C);
  for (const client of clients) onChannel[client.index % C]!++;
  let expected = 0;
  for (let seq = 0; seq < E; seq++) expected += onChannel[seq % C]!;
  const seen = new Uint8Array(S * perSub);
  const latencies = new Float64Array(expected);
  let received = 0;
  let duplicated = 0;
  let misrouted = 0;
  let lastDelivery = -Infinity;
  const hot = (client: Client, frame: Buffer) => {
    const seq = readSeq(frame);
    if (seq < 0) return client.pongIfPing(frame);
    const now = nowMs();
    lastDelivery = now;
    if (seq % C !== client.index % C || seq >= E) return void misrouted++;
    const slot = client.index * perSub + ((seq / C) | 0);
    if (seen[slot]) return void duplicated++;
    seen[slot] = 1;
    latencies[received++] = now - lastTs;
  };
  for (const client of clients) client.hot = hot;

  const pad = padding(ctx.size);
  if (ctx.warmUp > 0) {
    // A server that has run for a while: the same requests and deliveries first, unmeasured and without a seq (the
    // receivers skip them), so start-up compilation is not counted against what a publish costs.
    progress(`warming up with ${ctx.warmUp} events`);
    await publish(ctx.http, ctx.creds, {
      events: ctx.warmUp, batch: ctx.batch, rate: undefined, concurrency: ctx.publishConcurrency, inFlight: ctx.inFlight, newConnection: ctx.newConnection,
      channelOf: (n) => channelName(ctx, n % C),
      dataOf: (n) => `{"warm":${n},"pad":"${pad}"}`,
    });
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  progress(`publishing ${E} events to ${C} channel(s), ${ctx.rate ? `${ctx.rate}/s` : `back-to-back, ${ctx.inFlight} in flight`}, batch ${ctx.batch}${ctx.newConnection ? ", a new connection per request" : ""}; expecting ${expected} deliveries`);
  let publishing = true;
  const started = nowMs();
  const phase = await cpuMeasured(ctx, async () => {
    const published = publish(ctx.http, ctx.creds, {
      events: E, batch: ctx.batch, rate: ctx.rate, concurrency: ctx.publishConcurrency, inFlight: ctx.inFlight, newConnection: ctx.newConnection,
      channelOf: (seq) => channelName(ctx, seq % C),
      dataOf: (seq) => payload(seq, pad),
    }).finally(() => (publishing = false));
    await waitForDeliveries(ctx, () => received >= expected, () => lastDelivery, () => !publishing);
    return await published;
  });
  const result = phase.value;
  if (result.errors) notes.push(`${result.errors} publish requests failed; first: ${result.firstError}`);
  if (misrouted) notes.push(`${misrouted} frames arrived on a subscriber of another channel`);
  const frames = received + duplicated + misrouted;
  return {
    notes,
    metrics: {
      ...connectMetrics,
      events: E,
      requests: result.requests,
      publishErrors: result.errors,
      publishSeconds: result.seconds,
      publishMaxLagMs: ctx.rate ? result.maxLagMs : null,
      expected,
      received,
      lost: expected - received,
      duplicated,
      misrouted,
      auxCpuMs: Number.isNaN(phase.auxCpuMs) ? null : phase.auxCpuMs,
      ...deliveryMetrics(phase, frames, started, lastDelivery, latencies, received, clients, notes),
    },
  };
}

/** @module client-events: pairs on private channels send client-* events to each other at a total rate; each must reach the partner once. */

import { channelAuth } from "../lib/sign.ts";
import type { Client } from "../lib/client.ts";
import { lastTs, padding, readSeq } from "../lib/extract.ts";
import { progress } from "../lib/progress.ts";
import { nowMs, round } from "../lib/stats.ts";
import type { Context, Result } from "./context.ts";
import { connectMeasured, cpuMeasured, deliveryMetrics, sleep, waitForDeliveries } from "./measure.ts";

const ERROR = Buffer.from("pusher:error");

export async function clientEvents(ctx: Context): Promise<Result> {
  const notes: string[] = [];
  const S = ctx.subscribers - (ctx.subscribers % 2);
  const E = ctx.events;
  const rate = ctx.rate ?? 1000;
  const channelOf = (index: number) => `private-chat-${index >> 1}`;
  const { connected, metrics: connectMetrics } = await connectMeasured(ctx, S, (c) =>
    c.subscribe(channelOf(c.index), channelAuth(ctx.creds, c.socketId, channelOf(c.index))));
  const clients = connected.clients;
  const byIndex = new Map(clients.map((client) => [client.index, client]));
  const senders = clients.filter((client) => byIndex.has(client.index ^ 1)); // both ends of the pair are up
  const expected = senders.length * E;

  const seen = new Uint8Array(S * E);
  const latencies = new Float64Array(expected);
  let received = 0, duplicated = 0, errors = 0;
  let firstError: string | undefined;
  let lastDelivery = -Infinity;
  const hot = (client: Client, frame: Buffer) => {
    const seq = readSeq(frame);
    if (seq < 0) {
      if (frame.indexOf(ERROR) >= 0) {
        errors++;
        firstError ??= frame.toString().slice(0, 200);
      }
      return client.pongIfPing(frame);
    }
    const now = nowMs();
    lastDelivery = now;
    const slot = client.index * E + seq;
    if (seen[slot]) return void duplicated++;
    seen[slot] = 1;
    latencies[received++] = now - lastTs;
  };
  for (const client of clients) client.hot = hot;

  const pad = padding(ctx.size);
  const total = senders.length * E;
  progress(`${senders.length} clients send ${E} client events each at ${rate}/s in total`);
  let sending = true;
  const started = nowMs();
  let maxLagMs = 0;
  const phase = await cpuMeasured(ctx, async () => {
    for (let k = 0; k < total;) {
      const due = started + (k * 1000) / rate;
      const wait = due - nowMs();
      if (wait > 1) await sleep(wait);
      maxLagMs = Math.max(maxLagMs, nowMs() - due);
      for (const end = Math.min(total, Math.max(k + 1, Math.floor(((nowMs() - started) * rate) / 1000) + 1)); k < end; k++) {
        const sender = senders[k % senders.length]!;
        const seq = Math.floor(k / senders.length);
        const data = `{"seq":${seq},"ts":${nowMs()},"pad":"${pad}"}`;
        sender.send(`{"event":"client-bench","channel":"${channelOf(sender.index)}","data":${data}}`);
      }
    }
    sending = false;
    await waitForDeliveries(ctx, () => received >= expected, () => lastDelivery, () => !sending);
  });
  if (errors) notes.push(`${errors} pusher:error frames; first: ${firstError}`);
  const frames = received + duplicated;
  return {
    notes,
    metrics: {
      ...connectMetrics,
      events: total,
      rate,
      sendMaxLagMs: round(maxLagMs, 1),
      clientEventErrors: errors,
      expected,
      received,
      lost: expected - received,
      duplicated,
      ...deliveryMetrics(phase, frames, started, lastDelivery, latencies, received, clients, notes),
    },
  };
}

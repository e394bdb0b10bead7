/** @module idle: S connections on one public channel held for --hold seconds; RSS per connection and RSS sampled every 5 s. */

import { rssBytes } from "../lib/proc.ts";
import { progress } from "../lib/progress.ts";
import { nowMs, round } from "../lib/stats.ts";
import type { Client } from "../lib/client.ts";
import type { Context, Result } from "./context.ts";
import { connectMeasured, cpuMeasured, earlyCloses, sleep } from "./measure.ts";

const MB = 1024 * 1024;

export async function idle(ctx: Context): Promise<Result> {
  const notes: string[] = [];
  const { connected, metrics: connectMetrics } = await connectMeasured(ctx, ctx.subscribers, (c) => c.subscribe("idle-0"));
  const clients = connected.clients;
  let frames = 0;
  const hot = (client: Client, frame: Buffer) => {
    frames++;
    client.pongIfPing(frame);
  };
  for (const client of clients) client.hot = hot;
  const samples: number[] = [];
  progress(`holding ${clients.length} connections for ${ctx.holdSeconds}s`);
  const phase = await cpuMeasured(ctx, async () => {
    const end = nowMs() + ctx.holdSeconds * 1000;
    for (;;) {
      if (ctx.pids.length) samples.push(rssBytes(ctx.pids) / MB);
      const left = end - nowMs();
      if (left <= 0) break;
      await sleep(Math.min(5000, left));
    }
  });
  progress(`RSS samples (MB): ${samples.map((mb) => mb.toFixed(1)).join(" ")}`);
  return {
    notes,
    metrics: {
      ...connectMetrics,
      holdSeconds: ctx.holdSeconds,
      rssHoldFirstMB: samples.length ? round(samples[0]!, 1) : null,
      rssHoldLastMB: samples.length ? round(samples.at(-1)!, 1) : null,
      rssHoldMaxMB: samples.length ? round(Math.max(...samples), 1) : null,
      rssHoldGrowthKBPerConn: samples.length && clients.length ? round(((samples.at(-1)! - samples[0]!) * 1024) / clients.length, 3) : null,
      framesDuringHold: frames,
      serverCpuMsDuringHold: phase.serverCpuMs,
      closedEarly: earlyCloses(clients, notes),
    },
  };
}

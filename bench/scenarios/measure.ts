/** @module Measurements shared by scenarios: connect + settled RSS, server CPU around a phase, waiting for deliveries. */

import type { Client } from "../lib/client.ts";
import { connectAll } from "../lib/connect.ts";
import { cpuMs, rssBytes, selfCpuMs } from "../lib/proc.ts";
import { progress } from "../lib/progress.ts";
import { nowMs, percentiles, round } from "../lib/stats.ts";
import type { Context } from "./context.ts";

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const MB = 1024 * 1024;

/** Opens the clients with `setup`, waits 2 s idle, and reports connect rate and server RSS per connection. */
export async function connectMeasured(ctx: Context, count: number, setup: (client: Client) => Promise<unknown>) {
  const before = ctx.pids.length ? rssBytes(ctx.pids) : NaN;
  progress(`opening ${count} connections to ${ctx.wsUrls.length} node(s), ${ctx.connectConcurrency} at a time`);
  const connected = await connectAll(ctx.wsUrls, count, ctx.connectConcurrency, setup);
  progress(`${connected.ok} ready in ${connected.seconds}s (${connected.perSecond}/s), ${connected.errors} errors${connected.firstError ? `; first: ${connected.firstError}` : ""}`);
  await sleep(2000);
  const after = ctx.pids.length ? rssBytes(ctx.pids) : NaN;
  const metrics = {
    connections: connected.ok,
    connectErrors: connected.errors,
    connectSeconds: connected.seconds,
    connectPerSec: connected.perSecond,
    rssBeforeMB: round(before / MB, 1),
    rssAfterMB: round(after / MB, 1),
    rssPerConnKB: connected.ok ? round((after - before) / connected.ok / 1024, 2) : null,
  };
  return { connected, metrics };
}

/** Runs `phase`, reporting server CPU (and aux CPU) and the generator's own CPU share over it. */
export async function cpuMeasured<T>(ctx: Context, phase: () => Promise<T>) {
  const server0 = ctx.pids.length ? cpuMs(ctx.pids) : NaN;
  const aux0 = ctx.auxPids.length ? cpuMs(ctx.auxPids) : NaN;
  const self0 = selfCpuMs();
  const wall0 = nowMs();
  const value = await phase();
  const wall = nowMs() - wall0;
  const serverCpuMs = ctx.pids.length ? cpuMs(ctx.pids) - server0 : NaN;
  const self1 = selfCpuMs();
  const user = self1.user - self0.user;
  const system = self1.system - self0.system;
  return {
    value,
    serverCpuMs,
    auxCpuMs: ctx.auxPids.length ? cpuMs(ctx.auxPids) - aux0 : NaN,
    generatorCpuPct: round(((user + system) / wall) * 100, 1),
    generatorSysPct: round((system / wall) * 100, 1),
    wallMs: wall,
  };
}

/** Resolves once `done()` holds, or `drainMs` passed without `progressAt()` moving after `idle()` became true. */
export async function waitForDeliveries(ctx: Context, done: () => boolean, progressAt: () => number, idle: () => boolean): Promise<void> {
  let lastReport = nowMs();
  while (!done()) {
    await sleep(5);
    const now = nowMs();
    if (idle() && now - Math.max(progressAt(), 0) > ctx.drainMs) {
      progress(`no delivery for ${ctx.drainMs / 1000}s: giving up waiting`);
      return;
    }
    if (now - lastReport > 2000) {
      lastReport = now;
      progress("still receiving…");
    }
  }
}

/** Early closes among `clients` (the server dropped them), with the first close code and reason. */
export function earlyCloses(clients: readonly Client[], notes: string[]): number {
  const closed = clients.filter((client) => client.closedEarly);
  if (closed.length) notes.push(`${closed.length} connections closed by the server; first: ${closed[0]!.closeInfo}`);
  return closed.length;
}

/** Per-delivery CPU in µs, or null. */
export function usPer(cpuMsValue: number, count: number): number | null {
  return count > 0 && Number.isFinite(cpuMsValue) ? round((cpuMsValue * 1000) / count, 3) : null;
}

/**
 * The metrics every delivery scenario ends with: `frames` delivered from `started` to `lastDelivery` (ms), latency
 * percentiles of the first `count` samples, server CPU per frame, generator load and early closes.
 */
export function deliveryMetrics(
  phase: { serverCpuMs: number; generatorCpuPct: number; generatorSysPct: number },
  frames: number,
  started: number,
  lastDelivery: number,
  latencies: Float64Array,
  count: number,
  clients: readonly Client[],
  notes: string[],
) {
  const seconds = (lastDelivery - started) / 1000;
  const p = percentiles(latencies, count);
  return {
    deliverySeconds: round(seconds),
    deliveriesPerSec: frames > 0 ? round(frames / seconds, 0) : null,
    latencyP50Ms: p.p50, latencyP95Ms: p.p95, latencyP99Ms: p.p99, latencyMaxMs: p.max,
    serverCpuMs: phase.serverCpuMs,
    cpuUsPerDelivery: usPer(phase.serverCpuMs, frames),
    generatorCpuPct: phase.generatorCpuPct,
    generatorSysPct: phase.generatorSysPct,
    closedEarly: earlyCloses(clients, notes),
  };
}

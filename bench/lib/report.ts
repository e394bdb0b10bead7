/** @module Markdown tables of median results (printed by run.ts). */

import type { MedianRecord } from "./results.ts";

type Row = MedianRecord & { runtime: string };

const fmt = (value: number | null | undefined, digits = 1) =>
  value === null || value === undefined || !Number.isFinite(value) ? "–" : value >= 1000 ? Math.round(value).toLocaleString("en-US") : value.toFixed(digits);

function table(head: string[], rows: string[][]): string {
  return [`| ${head.join(" | ")} |`, `| ${head.map(() => "---").join(" | ")} |`, ...rows.map((r) => `| ${r.join(" | ")} |`)].join("\n");
}

/** Delivery scenarios: connect rate, latency, throughput, correctness, memory and CPU. */
export function deliveryTable(rows: Row[]): string {
  const head = ["runtime", "server", "scenario", "subs", "conn/s", "p50 ms", "p95 ms", "p99 ms", "max ms", "deliveries/s", "expected", "received", "lost", "dup", "RSS/conn KB", "CPU µs/delivery", "gen CPU %"];
  return table(head, rows.filter((r) => r.metrics["expected"] !== undefined).map((r) => {
    const m = r.metrics;
    return [r.runtime, r.server, r.scenario, String(r.subscribers), fmt(m["connectPerSec"], 0), fmt(m["latencyP50Ms"]), fmt(m["latencyP95Ms"]), fmt(m["latencyP99Ms"]),
      fmt(m["latencyMaxMs"]), fmt(m["deliveriesPerSec"], 0), fmt(m["expected"], 0), fmt(m["received"], 0), fmt(m["lost"], 0), fmt(m["duplicated"], 0),
      fmt(m["rssPerConnKB"], 2), fmt(m["cpuUsPerDelivery"], 2), fmt(m["generatorCpuPct"], 0)];
  }));
}

/** Presence joins (join → subscription_succeeded). */
export function presenceTable(rows: Row[]): string {
  const head = ["runtime", "server", "clients × rounds", "join p50 ms", "join p95 ms", "join p99 ms", "join max ms", "member_added p50 ms", "member_added p99 ms"];
  return table(head, rows.filter((r) => r.scenario === "presence-storm").map((r) => {
    const m = r.metrics;
    return [r.runtime, r.server, `${r.subscribers} × ${fmt(m["rounds"], 0)}`, fmt(m["joinP50Ms"]), fmt(m["joinP95Ms"]), fmt(m["joinP99Ms"]), fmt(m["joinMaxMs"]), fmt(m["latencyP50Ms"]), fmt(m["latencyP99Ms"])];
  }));
}

/** Idle connections: memory per connection and over the hold. */
export function idleTable(rows: Row[]): string {
  const head = ["runtime", "server", "connections", "conn/s", "RSS before MB", "RSS after MB", "RSS/conn KB", "hold first/last/max MB", "closed early"];
  return table(head, rows.filter((r) => r.scenario === "idle").map((r) => {
    const m = r.metrics;
    return [r.runtime, r.server, fmt(m["connections"], 0), fmt(m["connectPerSec"], 0), fmt(m["rssBeforeMB"]), fmt(m["rssAfterMB"]), fmt(m["rssPerConnKB"], 2),
      `${fmt(m["rssHoldFirstMB"])} / ${fmt(m["rssHoldLastMB"])} / ${fmt(m["rssHoldMaxMB"])}`, fmt(m["closedEarly"], 0)];
  }));
}

/** Two Resound nodes over Redis: CPU summed over both nodes, Redis CPU apart. */
export function twoNodeTable(rows: Row[]): string {
  const head = ["runtime", "subs (both nodes)", "p50 ms", "p99 ms", "deliveries/s", "lost", "dup", "nodes CPU µs/delivery", "redis CPU ms", "gen CPU %"];
  return table(head, rows.filter((r) => r.scenario === "two-node").map((r) => {
    const m = r.metrics;
    return [r.runtime, String(r.subscribers), fmt(m["latencyP50Ms"]), fmt(m["latencyP99Ms"]), fmt(m["deliveriesPerSec"], 0), fmt(m["lost"], 0), fmt(m["duplicated"], 0),
      fmt(m["cpuUsPerDelivery"], 2), fmt(m["auxCpuMs"], 0), fmt(m["generatorCpuPct"], 0)];
  }));
}

/** The servers Resound is compared with, in column order, that have rows. */
const peersOf = (rows: Row[]) => (["floor", "soketi"] as const).filter((server) => rows.some((row) => row.server === server));

/** Resound vs floor (and soketi, where it ran): CPU per delivery and memory per connection, with Resound's ratios. */
export function ratioTable(rows: Row[]): string {
  const peers = peersOf(rows);
  const metrics = [["cpuUsPerDelivery", "CPU µs/delivery"], ["rssPerConnKB", "RSS/conn KB"]] as const;
  const head = ["runtime", "scenario", "subs", ...metrics.flatMap(([, label]) => [`resound ${label}`, ...peers.map((peer) => `${peer} ${label}`), ...peers.map((peer) => `resound/${peer}`)])];
  const ratio = (a: number | null | undefined, b: number | null | undefined) => (a && b ? `${(a / b).toFixed(2)}×` : "–");
  const out: string[][] = [];
  for (const r of rows.filter((row) => row.server === "resound")) {
    const found = peers.map((peer) => rows.find((row) => row.server === peer && row.runtime === r.runtime && row.scenario === r.scenario && row.subscribers === r.subscribers && row.mode === r.mode));
    if (!found.some(Boolean)) continue;
    out.push([r.runtime, r.scenario, String(r.subscribers), ...metrics.flatMap(([name]) => [fmt(r.metrics[name], 2),
      ...found.map((peer) => fmt(peer?.metrics[name], 2)), ...found.map((peer) => ratio(r.metrics[name], peer?.metrics[name]))])]);
  }
  return table(head, out);
}

/** Every table that has rows, plus notes. */
export function fullReport(rows: Row[]): string {
  const parts = [["Deliveries", deliveryTable(rows)], [`Resound vs ${peersOf(rows).join(" and ") || "floor"}`, ratioTable(rows)], ["Presence storm", presenceTable(rows)],
    ["Two nodes", twoNodeTable(rows)], ["Idle connections", idleTable(rows)]]
    .filter(([, text]) => text!.split("\n").length > 2)
    .map(([title, text]) => `### ${title}\n\n${text}`);
  const notes = rows.flatMap((r) => r.notes.map((note) => `- ${r.runtime}/${r.server}/${r.scenario}${r.mode === "sweep" ? `@${r.subscribers}` : ""}: ${note}`));
  if (notes.length) parts.push(`### Notes\n\n${notes.join("\n")}`);
  return parts.join("\n\n");
}

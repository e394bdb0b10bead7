/** @module `npm run bench -- plot [--quick]`: the sweep's medians (newest file per runtime) → bench/results/latency.svg. */

import { writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { parseArgs } from "./lib/args.ts";
import { loadResults, QUICK_RESULTS_DIR, RESULTS_DIR, type ResultsFile } from "./lib/results.ts";
import { ROOT } from "./lib/servers.ts";
import { chart, type Series } from "./lib/svg.ts";

const COLORS: Record<string, string> = { node: "#2e7d32", bun: "#e65100", deno: "#1565c0" };
const PERCENTILES = [["p50", "latencyP50Ms"], ["p95", "latencyP95Ms"], ["p99", "latencyP99Ms"]] as const;

/** `--quick` plots the smoke-test results ($TMPDIR/resound-bench-quick) instead. */
export async function plotMain(argv: readonly string[]): Promise<void> {
  const dir = parseArgs(argv, [], ["quick"]).has("quick") ? QUICK_RESULTS_DIR : RESULTS_DIR;
  const files = loadResults(dir); // dated names: later files win
  const latest = new Map<string, ResultsFile>();
  for (const file of files) if (file.medians.some((m) => m.mode === "sweep")) latest.set(file.runtime, file);
  const order = ["node", "bun", "deno"];
  const runtimes = [...latest.values()].sort((a, b) => order.indexOf(a.runtime) - order.indexOf(b.runtime));
  if (latest.size === 0) throw new Error(`no sweep results in ${dir}; run \`npm run bench -- sweep\` first`);
  const xs = [...new Set([...latest.values()].flatMap((f) => f.medians.filter((m) => m.mode === "sweep").map((m) => m.subscribers)))].sort((a, b) => a - b);
  const panels = PERCENTILES.map(([title, metric]) => ({
    title: `${title} latency`,
    series: runtimes.flatMap((file) => (["resound", "floor"] as const).map((server): Series => ({
      label: `${file.runtime} ${/\d+\.\d+\.\d+/.exec(file.runtimeVersion)?.[0] ?? ""}: ${server === "resound" ? "Resound" : "floor server"}`,
      color: COLORS[file.runtime] ?? "#666",
      dashed: server === "floor",
      points: file.medians
        .filter((m) => m.mode === "sweep" && m.server === server && Number.isFinite(m.metrics[metric] ?? NaN))
        .sort((a, b) => a.subscribers - b.subscribers)
        .map((m) => [m.subscribers, m.metrics[metric]!]),
    })).filter((s) => s.points.length > 0)),
  }));
  const any = runtimes[0]!;
  const sweepRun = any.runs.find((r) => r.mode === "sweep" && r.result)?.result?.params;
  const subtitle = `One channel, ${sweepRun?.["events"] ?? "?"} events at ${sweepRun?.["rate"] ?? "?"}/s, ${sweepRun?.["size"] ?? "?"}-byte payloads; ` +
    `server on 1 core, load generator on the other (${any.machine.cpus}); ${[...latest.values()].map((f) => f.date).sort().at(-1)}`;
  const svg = chart("Fan-out delivery latency vs subscribers", subtitle, "subscribers (log scale)", "milliseconds", xs, panels);
  const path = join(dir, "latency.svg");
  writeFileSync(path, svg);
  console.log(`wrote ${path.startsWith(ROOT) ? relative(ROOT, path) : path}`);
}

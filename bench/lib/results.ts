/** @module Results files: bench/results/<date>-<runtime>.json, raw runs and medians, merged with earlier runs that day. */

import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { arch, cpus, release, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { median } from "./stats.ts";
import { ROOT, type Runtime, type ServerKind } from "./servers.ts";

export const RESULTS_DIR = join(ROOT, "bench", "results");
/** --quick (smoke test) results stay out of the committed folder. */
export const QUICK_RESULTS_DIR = join(tmpdir(), "resound-bench-quick");

/** What load.ts printed. */
export interface LoadOutput {
  scenario: string;
  params: Record<string, unknown>;
  metrics: Record<string, number | null>;
  notes: string[];
  wallSeconds: number;
}

export interface RunRecord {
  mode: "run" | "sweep";
  server: ServerKind;
  scenario: string;
  subscribers: number;
  repeat: number;
  startedAt: string;
  /** The run/sweep command line this run belonged to. */
  command?: string;
  /** undefined when the run failed (see error). */
  result?: LoadOutput;
  error?: string;
  /** Anything the server printed (they run with --quiet, so this is errors), or how it died. */
  serverOutput?: string;
}

export interface MedianRecord {
  mode: "run" | "sweep";
  server: ServerKind;
  scenario: string;
  subscribers: number;
  repeats: number;
  metrics: Record<string, number | null>;
  notes: string[];
}

export interface ResultsFile {
  date: string;
  runtime: Runtime;
  runtimeVersion: string;
  machine: { cpus: string; cores: number; memoryGiB: number; kernel: string; arch: string };
  commands: string[];
  runs: RunRecord[];
  medians: MedianRecord[];
}

const key = (r: { mode: string; server: string; scenario: string; subscribers: number }) => `${r.mode}/${r.server}/${r.scenario}/${r.subscribers}`;

/** Medians of every metric over the successful runs of one group. */
export function medianOf(runs: RunRecord[]): MedianRecord {
  const first = runs[0]!;
  const ok = runs.filter((run) => run.result);
  const names = [...new Set(ok.flatMap((run) => Object.keys(run.result!.metrics)))];
  const metrics: Record<string, number | null> = {};
  for (const name of names) metrics[name] = median(ok.map((run) => run.result!.metrics[name] ?? NaN));
  const notes = [...new Set(runs.flatMap((run) => [...(run.result?.notes ?? []), ...(run.error ? [`failed: ${run.error.slice(0, 300)}`] : [])]))];
  return { mode: first.mode, server: first.server, scenario: first.scenario, subscribers: first.subscribers, repeats: ok.length, metrics, notes };
}

/** Writes (merging) the day's file for `runtime`; runs of the same mode/server/scenario/size replace older ones. */
export function saveResults(dir: string, runtime: Runtime, runtimeVersion: string, command: string, runs: RunRecord[]): string {
  const date = new Date().toISOString().slice(0, 10);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${date}-${runtime}.json`);
  const old: ResultsFile | undefined = existsSync(path) ? JSON.parse(readFileSync(path, "utf8")) : undefined;
  const replaced = new Set(runs.map(key));
  const allRuns = [...(old?.runs ?? []).filter((run) => !replaced.has(key(run))), ...runs.map((run) => ({ ...run, command }))];
  const groups = new Map<string, RunRecord[]>();
  for (const run of allRuns) groups.set(key(run), [...(groups.get(key(run)) ?? []), run]);
  const file: ResultsFile = {
    date,
    runtime,
    runtimeVersion,
    machine: { cpus: cpus()[0]?.model ?? "?", cores: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30), kernel: release(), arch: arch() },
    commands: [...new Set(allRuns.map((run) => run.command ?? "?"))], // the commands whose runs are kept
    runs: allRuns,
    medians: [...groups.values()].map(medianOf),
  };
  writeFileSync(path, JSON.stringify(file, null, 2) + "\n");
  return path;
}

/** Every results file in `dir`, in name (date) order. */
export function loadResults(dir: string): ResultsFile[] {
  return readdirSync(dir).filter((f) => f.endsWith(".json")).sort().map((f) => JSON.parse(readFileSync(join(dir, f), "utf8")) as ResultsFile);
}

/** @module The orchestrator: `npm run bench -- run|sweep …` starts servers on CPU 0, load.ts on CPU 1, writes bench/results and prints medians. */

// run   [--runtimes node,bun,deno] [--servers resound,floor[,soketi]] [--scenarios fanout,…] [--repeat 3] [--quick]
// sweep [--runtimes …] [--servers …] [--counts 500,1000,2000,5000] [--repeat 1] [--quick]   (fan-out latency vs subscribers)
// soketi (opt-in) runs in the node rows only; it is installed on first use (bench/lib/soketi.ts).
// Results: bench/results/<date>-<runtime>.json (--quick: $TMPDIR/resound-bench-quick/), raw runs plus medians.

import { execFileSync } from "node:child_process";
import { relative } from "node:path";
import { parseArgs } from "./lib/args.ts";
import { startPinned } from "./lib/processes.ts";
import { fullReport } from "./lib/report.ts";
import { type LoadOutput, medianOf, QUICK_RESULTS_DIR, RESULTS_DIR, type RunRecord, saveResults } from "./lib/results.ts";
import { CREDENTIALS, LOAD_CPU, ROOT, RUNTIMES, runsOn, type Runtime, type RunningServer, prepareNode, SERVER_KINDS, type ServerKind, serverCommand, startClusterNode, startRedis, startServer } from "./lib/servers.ts";
import { ensureSoketi } from "./lib/soketi.ts";
import { scenarioArgs, SUITE_SCENARIOS, type SuiteScenario, supports, SWEEP_COUNTS, SWEEP_QUICK_COUNTS, sweepArgs } from "./lib/suite.ts";

const log = (line: string) => process.stderr.write(`${line}\n`);

interface Job {
  mode: "run" | "sweep";
  server: ServerKind;
  scenario: SuiteScenario;
  subscribers: number;
  loadArgs: string[];
}

export async function runMain(argv: readonly string[], mode: "run" | "sweep"): Promise<void> {
  const args = parseArgs(argv, ["runtimes", "servers", "scenarios", "repeat", "counts"], ["quick"]);
  const runtimes = (args.list("runtimes").length ? args.list("runtimes") : RUNTIMES) as Runtime[];
  const servers = (args.list("servers").length ? args.list("servers") : ["resound", "floor"]) as ServerKind[];
  const scenarios = (args.list("scenarios").length ? args.list("scenarios") : SUITE_SCENARIOS) as SuiteScenario[];
  const quick = args.has("quick");
  const repeat = args.num("repeat", mode === "sweep" ? 1 : 3);
  for (const name of runtimes) if (!RUNTIMES.includes(name)) throw new Error(`unknown runtime ${name}`);
  for (const name of servers) if (!SERVER_KINDS.includes(name)) throw new Error(`unknown server ${name}; one of ${SERVER_KINDS.join(", ")}`);
  for (const name of scenarios) if (!SUITE_SCENARIOS.includes(name)) throw new Error(`unknown scenario ${name}; one of ${SUITE_SCENARIOS.join(", ")}`);
  const counts = args.list("counts").length ? args.list("counts").map(Number) : quick ? SWEEP_QUICK_COUNTS : SWEEP_COUNTS;

  const jobs: Job[] = [];
  for (const server of servers) {
    if (mode === "sweep") {
      for (const subscribers of counts) jobs.push({ mode, server, scenario: "fanout", subscribers, loadArgs: sweepArgs(subscribers, quick) });
      continue;
    }
    for (const scenario of scenarios) {
      if (!supports(server, scenario)) continue;
      const loadArgs = scenarioArgs(scenario, quick);
      jobs.push({ mode, server, scenario, subscribers: Number(loadArgs[loadArgs.indexOf("--subscribers") + 1]), loadArgs });
    }
  }
  // Install before the first run rather than inside it, so a failed install stops here with npm's own message.
  if (jobs.some((job) => runtimes.some((runtime) => job.server === "soketi" && runsOn(job.server, runtime)))) ensureSoketi(log);
  if (runtimes.includes("node")) prepareNode(log);
  const command = `npm run bench -- ${mode} ${argv.join(" ")}`.trim();
  const started = Date.now();
  const rows = [];
  for (const runtime of runtimes) {
    const version = runtimeVersion(runtime);
    const runtimeJobs = jobs.filter((job) => runsOn(job.server, runtime));
    log(`\n=== ${runtime} ${version}: ${runtimeJobs.length} jobs × ${repeat}`);
    const records: RunRecord[] = [];
    // Repeats go round the servers (resound, floor, soketi, resound, …) rather than one server's repeats in a row:
    // this VM has slow phases lasting minutes, and a ratio must not hinge on which server one of them hit.
    const scenarios = [...new Set(runtimeJobs.map((job) => `${job.scenario}@${job.subscribers}`))];
    for (const scenario of scenarios) {
      const round = runtimeJobs.filter((job) => `${job.scenario}@${job.subscribers}` === scenario);
      for (let rep = 1; rep <= repeat; rep++) {
        for (const job of round) {
          log(`--- ${runtime} ${job.server} ${job.scenario}${job.mode === "sweep" ? ` @${job.subscribers}` : ""} #${rep}/${repeat} (${Math.round((Date.now() - started) / 1000)}s)`);
          records.push(await runOnce(runtime, job, rep));
        }
      }
      for (const job of round) {
        const median = medianOf(records.filter((r) => r.server === job.server && r.scenario === job.scenario && r.subscribers === job.subscribers));
        rows.push({ ...median, runtime });
      }
    }
    const path = saveResults(quick ? QUICK_RESULTS_DIR : RESULTS_DIR, runtime, version, command, records);
    log(`wrote ${path.startsWith(ROOT) ? relative(ROOT, path) : path}`);
  }
  const wall = (Date.now() - started) / 1000;
  process.stdout.write(`## ${command}\n\nwall time ${Math.floor(wall / 60)} min ${Math.round(wall % 60)} s; medians of ${repeat} run(s)\n\n${fullReport(rows)}\n`);
}

async function runOnce(runtime: Runtime, job: Job, repeat: number): Promise<RunRecord> {
  const record: RunRecord = { mode: job.mode, server: job.server, scenario: job.scenario, subscribers: job.subscribers, repeat, startedAt: new Date().toISOString() };
  const servers: RunningServer[] = [];
  let redis: RunningServer | undefined;
  try {
    let target: string[];
    if (job.scenario === "two-node") {
      redis = await startRedis();
      servers.push(await startClusterNode(runtime, redis.port), await startClusterNode(runtime, redis.port));
      await new Promise((resolve) => setTimeout(resolve, 1500)); // nodes say hello and exchange heartbeats
      target = ["--ws-urls", servers.map((s) => `ws://127.0.0.1:${s.port}`).join(","), "--http", `http://127.0.0.1:${servers[0]!.port}`, "--aux-pid", String(redis.proc.pid)];
    } else {
      servers.push(await startServer(job.server, runtime));
      target = ["--ws", `ws://127.0.0.1:${servers[0]!.port}`, "--http", `http://127.0.0.1:${servers[0]!.port}`];
    }
    target.push("--pid", servers.map((s) => s.proc.pid).join(","), "--app-id", CREDENTIALS.appId, "--key", CREDENTIALS.key, "--secret", CREDENTIALS.secret);
    record.result = await runLoad([...target, ...job.loadArgs]);
  } catch (error) {
    record.error = error instanceof Error ? error.message : String(error);
    log(`    FAILED: ${record.error}`);
  } finally {
    const died = servers.map((s) => s.proc.exited()).filter(Boolean);
    await Promise.all([...servers.map((s) => s.proc.stop()), redis?.proc.stop()]);
    const output = [...died, ...servers.map((s) => s.proc.output().trim())].filter(Boolean).join("\n");
    if (output) {
      record.serverOutput = output.slice(-4000);
      log(`    server output: ${output.slice(-1000)}`);
    }
  }
  return record;
}

/** Runs load.ts pinned to the load CPU; resolves with its JSON line. */
async function runLoad(args: string[]): Promise<LoadOutput> {
  const proc = startPinned(LOAD_CPU, [process.execPath, "--import", "tsx", "bench/load.ts", ...args], {
    cwd: ROOT, env: process.env, onStderr: (line) => log(`    ${line}`),
  });
  const timer = setTimeout(() => void proc.stop(), 15 * 60_000);
  const code = await proc.wait();
  clearTimeout(timer);
  const line = proc.output().split("\n").find((l) => l.startsWith('{"scenario"'));
  if (code !== 0 || !line) throw new Error(`load.ts exited with ${code}: ${proc.output().slice(-1500)}`);
  const result = JSON.parse(line) as LoadOutput;
  const m = result.metrics;
  log(`    → p50 ${m["latencyP50Ms"] ?? "–"} ms, p99 ${m["latencyP99Ms"] ?? "–"} ms, ${m["deliveriesPerSec"] ?? "–"} deliveries/s, lost ${m["lost"] ?? "–"}, dup ${m["duplicated"] ?? "–"}, ` +
    `${m["cpuUsPerDelivery"] ?? "–"} µs/delivery, ${m["rssPerConnKB"] ?? "–"} KB/conn, generator ${m["generatorCpuPct"] ?? "–"}% CPU`);
  return result;
}

function runtimeVersion(runtime: Runtime): string {
  const [command] = serverCommand("floor", runtime, 0);
  const text = execFileSync(command!, ["--version"], { encoding: "utf8" });
  return /\d+\.\d+\.\d+/.exec(text)?.[0] ?? text.trim();
}

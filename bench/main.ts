/** @module `npm run bench -- load|run|sweep|plot …`: dispatches to the load tool, the orchestrator or the plot. */

const USAGE = `usage:
  npm run bench -- run [--runtimes node,bun,deno] [--servers resound,floor] [--scenarios fanout,channels,presence-storm,client-events,idle,two-node] [--repeat 3] [--quick]
  npm run bench -- sweep [--runtimes …] [--servers …] [--counts 500,1000,2000,5000] [--repeat 1] [--quick]
  npm run bench -- plot [--quick]   (bench/results/*.json → bench/results/latency.svg)
  npm run bench -- load --help      (the load tool, for any Pusher-protocol server)`;

const [command, ...rest] = process.argv.slice(2);
const commands: Record<string, () => Promise<void>> = {
  load: async () => (await import("./load.ts")).loadMain(rest),
  run: async () => (await import("./run.ts")).runMain(rest, "run"),
  sweep: async () => (await import("./run.ts")).runMain(rest, "sweep"),
  plot: async () => (await import("./plot.ts")).plotMain(rest),
};
const chosen = commands[command ?? ""];
if (!chosen) {
  console.error(USAGE);
  process.exit(2);
}
chosen().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});

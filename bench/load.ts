/** @module The load tool for any Pusher-protocol server: `npm run bench -- load --ws ws://HOST:PORT --app-id … [options]`. */

// Progress goes to stderr; exactly one JSON result line goes to stdout. Runs directly too: node --import tsx bench/load.ts …

import { pathToFileURL } from "node:url";
import { parseArgs } from "./lib/args.ts";
import { progress } from "./lib/progress.ts";
import { broadcast } from "./scenarios/broadcast.ts";
import { clientEvents } from "./scenarios/client-events.ts";
import { type Context, contextFrom, type Result } from "./scenarios/context.ts";
import { idle } from "./scenarios/idle.ts";
import { presenceStorm } from "./scenarios/presence-storm.ts";

const VALUES = ["ws", "http", "app-id", "key", "secret", "subscribers", "channels", "kind", "events", "rate", "size", "batch",
  "connect-concurrency", "publish-concurrency", "in-flight", "warm-up", "pid", "aux-pid", "scenario", "hold", "rounds", "ws-urls", "drain-timeout"];
const FLAGS = ["back-to-back", "new-connection", "help"];

export const LOAD_USAGE = `npm run bench -- load --ws ws://HOST:PORT [--http http://HOST:PORT] --app-id ID --key KEY --secret SECRET
  --scenario fanout|channels|presence-storm|client-events|idle   (default fanout)
  --subscribers N        connections (client-events: N/2 pairs; default 100)
  --channels C           channels for "channels", subscribers round-robin (default 10)
  --kind public|private|presence   channel kind for fanout/channels (auth signed locally with the secret)
  --events E             events to publish (client-events: per client; default 100)
  --rate R | --back-to-back   events (client messages) per second, or next publish after the previous response
  --batch B              events per request (>1 uses /batch_events; default 10 for channels, else 1)
  --size BYTES           payload data size (default 100)
  --connect-concurrency K   connections opened at a time (default 100)
  --publish-concurrency K   requests in flight when paced (default 8)
  --in-flight K          back-to-back publishers at once, each sending after its previous response (default 1)
  --new-connection       a new TCP connection per publish request (as PHP-FPM does), else keep-alive
  --warm-up N            publish N unmeasured events first (fanout/channels), as a server that has been running
  --pid PID[,PID]        server process(es) to measure (RSS, CPU); repeatable
  --aux-pid PID          helper process (redis) whose CPU is reported separately
  --rounds K             presence-storm rounds (default 3)
  --hold SECONDS         idle hold (default 30)
  --ws-urls a,b          spread subscribers over several nodes (instead of --ws)
  --drain-timeout S      stop waiting after S seconds without a delivery (default 5)`;

const RUNNERS: Record<Context["scenario"], (ctx: Context) => Promise<Result>> = {
  fanout: broadcast,
  channels: broadcast,
  "presence-storm": presenceStorm,
  "client-events": clientEvents,
  idle,
};

/** Runs one scenario and prints its JSON result line; exits the process when done. */
export async function loadMain(argv: readonly string[]): Promise<void> {
  const args = parseArgs(argv, VALUES, FLAGS);
  if (args.has("help")) return void console.error(LOAD_USAGE);
  const ctx = contextFrom(args);
  progress(`${ctx.scenario} against ${ctx.wsUrls.join(", ")} (pids ${ctx.pids.join(",") || "none"})`);
  const started = Date.now();
  const result = await RUNNERS[ctx.scenario](ctx);
  for (const note of result.notes) progress(`note: ${note}`);
  const line = JSON.stringify({
    scenario: ctx.scenario,
    params: {
      subscribers: ctx.subscribers, channels: ctx.scenario === "fanout" ? 1 : ctx.channels, kind: ctx.kind, events: ctx.events,
      rate: ctx.rate ?? "back-to-back", inFlight: ctx.inFlight, newConnection: ctx.newConnection, warmUp: ctx.warmUp, batch: ctx.batch, size: ctx.size, connectConcurrency: ctx.connectConcurrency,
      rounds: ctx.rounds, holdSeconds: ctx.holdSeconds, nodes: ctx.wsUrls.length,
    },
    metrics: result.metrics,
    notes: result.notes,
    wallSeconds: (Date.now() - started) / 1000,
  });
  process.stdout.write(line + "\n", () => process.exit(0)); // the clients are not closed one by one: exit drops them
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  loadMain(process.argv.slice(2)).catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}

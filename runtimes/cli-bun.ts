/** @module The command on Bun (`resound` under `bunx --bun`, `bun run start`): the CLI with the Bun adapter. */

import { main } from "../src/cli/main.ts";
import { BunTopics, serve, serveHttp } from "./bun.ts";
import { isEntryModule, processHost } from "./process-host.ts";

/** Runs the CLI; `command` is how the user started it, for --help. */
export function start(command: string): Promise<void> {
  const topics = new BunTopics();
  return main({
    ...processHost({ name: "bun", version: Bun.version }),
    command,
    topics,
    listen: (core, options) => serve(core, topics, options),
    listenHttp: serveHttp,
  });
}

// Run directly (`bun runtimes/cli-bun.ts`, as the benchmarks do): start at once.
if (isEntryModule(import.meta.url)) await start("bun run start");

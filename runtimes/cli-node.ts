/** @module The command on Node (`resound`, `npm start`): the CLI with the Node adapter. */

import process from "node:process";
import { main } from "../src/cli/main.ts";
import { serve, serveHttp } from "./node.ts";
import { isEntryModule, processHost } from "./process-host.ts";

/** Runs the CLI; `command` is how the user started it, for --help. */
export function start(command: string): Promise<void> {
  return main({ ...processHost({ name: "node", version: process.versions.node }), command, listen: serve, listenHttp: serveHttp });
}

// Run directly (`node --import tsx runtimes/cli-node.ts`, as the benchmarks do): start at once.
if (isEntryModule(import.meta.url)) await start("npm start --");

/** @module The command on Deno (`resound` under Deno, `deno task start`): the CLI with the Deno adapter. */

import { main } from "../src/cli/main.ts";
import { serve, serveHttp } from "./deno.ts";
import { processHost } from "./process-host.ts";

/** Runs the CLI; `command` is how the user started it, for --help. */
export function start(command: string): Promise<void> {
  return main({ ...processHost({ name: "deno", version: Deno.version.deno }), command, listen: serve, listenHttp: serveHttp });
}

// `deno task start` runs this file directly.
if (import.meta.main) await start("deno task start");

/**
 * @module The command line: `resound [start]` serves, `resound restart` restarts the running servers; flags and
 * config are the same for both, and user mistakes exit 1 with one line.
 */

import { ConfigError } from "../config/fields.ts";
import { loadConfig, type LoadedConfig } from "../config/load-config.ts";
import { VERSION } from "../version.ts";
import { type Flags, helpText, parseArgs } from "./args.ts";
import type { Host } from "./host.ts";
import { restart } from "./restart.ts";
import { start } from "./start.ts";

export { SHUTDOWN_GRACE_MS } from "./start.ts";

const COMMANDS = ["start", "restart"] as const;

/** Runs the command the arguments name (start unless the first is `restart`). */
export async function main(host: Host): Promise<void> {
  const [first, ...rest] = host.argv;
  const command = COMMANDS.find((name) => name === first) ?? "start";
  const argv = command === first ? rest : host.argv;
  let flags: Flags;
  let config: LoadedConfig;
  try {
    flags = parseArgs(argv);
    if (flags["help"]) return finish(host, 0, helpText(host.command));
    if (flags["version"]) return finish(host, 0, `Resound ${VERSION}`);
    config = loadConfig({
      flags,
      env: host.env,
      cwd: host.cwd,
      readTextFile: (path) => host.readTextFile(path),
      // Restarting needs no app: only where the servers are (this machine, and the cluster's Redis).
      appsRequired: command === "start",
    });
  } catch (error) {
    if (error instanceof ConfigError) return fail(host, error.message);
    throw error;
  }
  if (command === "restart") return host.exit(await restart(host, config));
  return start(host, flags, config);
}

/** Prints a one-line error and exits 1. */
export function fail(host: Host, message: string): void {
  host.printError(`Error: ${message}`);
  host.exit(1);
}

function finish(host: Host, code: number, output: string): void {
  host.print(output);
  host.exit(code);
}

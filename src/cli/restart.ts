/**
 * @module `resound restart` (Reverb's reverb:restart): every Resound server of this user on this machine, and every
 * node of the cluster when scaling is on, stops gracefully (4200 to its clients, exit 0) so that Supervisor or
 * systemd starts it again with the new code.
 */

import type { LoadedConfig } from "../config/load-config.ts";
import type { Host } from "./host.ts";

/** How long the command waits for the local servers to exit (they take at most 10 s). */
const WAIT_MS = 15_000;

/** Runs the restart command; resolves with the process exit code. */
export async function restart(host: Host, config: LoadedConfig): Promise<number> {
  const registry = host.servers;
  const local = registry?.list() ?? [];
  for (const server of local) registry!.stop(server.pid);

  let cluster: string | undefined;
  if (config.server.scalingEnabled) {
    const { signalClusterRestart } = await import("../scaling/restart-signal.ts");
    try {
      const where = await signalClusterRestart(config.server, { readTextFile: (path) => host.readTextFile(path), warn: (line) => host.printError(`Warning: ${line}`) });
      cluster = `the cluster on ${where}`;
    } catch (error) {
      host.printError(`Error: ${error instanceof Error ? error.message : String(error)}; the other nodes of the cluster were not told to restart.`);
      if (local.length === 0) return 1;
    }
  }

  if (local.length === 0 && !cluster) {
    host.print("No Resound server is running on this machine; nothing to restart.");
    return 0;
  }
  if (cluster) host.print(`Broadcasting the restart signal to ${cluster}.`);
  if (local.length === 0) {
    host.print("No Resound server of this user runs on this machine; the cluster's nodes stop within 10 s.");
    return 0;
  }
  host.print(`Restarting ${local.length} Resound server${local.length === 1 ? "" : "s"} on this machine: ${local.map((s) => `pid ${s.pid} (${s.host}:${s.port})`).join(", ")}.`);
  const deadline = Date.now() + WAIT_MS;
  let running = local.filter((server) => registry!.isRunning(server.pid));
  while (running.length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    running = running.filter((server) => registry!.isRunning(server.pid));
  }
  if (running.length > 0) {
    host.printError(`Error: ${running.map((s) => `pid ${s.pid}`).join(", ")} did not stop within ${WAIT_MS / 1000} s.`);
    return 1;
  }
  host.print("Every server stopped gracefully (clients were told to reconnect); your process manager starts them again.");
  return 0;
}

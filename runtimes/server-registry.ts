/**
 * @module Where the `resound` servers of this user on this machine write down their pid, so `resound restart` can
 * find them whatever port or app they serve: one small JSON file per server in a private runtime folder.
 */

import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import type { RegisteredServer, ServerRegistry } from "../src/cli/host.ts";

/** $XDG_RUNTIME_DIR/resound (cleared at logout and reboot), else a per-user folder in the temp directory. */
export function registryFolder(env: Readonly<Record<string, string | undefined>>): string {
  const runtimeDir = env["XDG_RUNTIME_DIR"];
  if (runtimeDir) return join(runtimeDir, "resound");
  const user = typeof process.getuid === "function" ? String(process.getuid()) : (env["USERNAME"] ?? env["USER"] ?? "user");
  return join(tmpdir(), `resound-${user}`);
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: string }).code === "EPERM"; // alive, but another user's
  }
}

/** The registry in `folder`. */
export function serverRegistry(folder: string): ServerRegistry {
  const file = (pid: number) => join(folder, `${pid}.json`);
  return {
    register(entry) {
      mkdirSync(folder, { recursive: true, mode: 0o700 });
      writeFileSync(file(entry.pid), JSON.stringify(entry), { mode: 0o600 });
      return () => rmSync(file(entry.pid), { force: true });
    },
    list() {
      let names: string[];
      try {
        names = readdirSync(folder);
      } catch {
        return [];
      }
      const servers: RegisteredServer[] = [];
      for (const name of names) {
        if (!/^\d+\.json$/.test(name)) continue;
        try {
          const entry = JSON.parse(readFileSync(join(folder, name), "utf8")) as RegisteredServer;
          if (entry.pid !== process.pid && isRunning(entry.pid)) servers.push(entry);
          else if (entry.pid !== process.pid) rmSync(join(folder, name), { force: true }); // left by a crash
        } catch {
          // half-written or foreign: not a server we can address
        }
      }
      return servers;
    },
    stop(pid) {
      try {
        process.kill(pid, "SIGTERM");
        return true;
      } catch {
        return false;
      }
    },
    isRunning,
    folder,
  };
}

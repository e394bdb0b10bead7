/** @module The parts of the CLI Host that Node, Bun and Deno share: they all provide `process` and `node:fs`. */

import { closeSync, mkdirSync, openSync, readFileSync, realpathSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import process from "node:process";
import { pathToFileURL } from "node:url";
import type { Host } from "../src/cli/host.ts";
import { registryFolder, serverRegistry } from "./server-registry.ts";

/** Everything but `listen`, from the process. */
export function processHost(runtime: Host["runtime"]): Omit<Host, "listen" | "listenHttp" | "command"> {
  return {
    runtime,
    argv: process.argv.slice(2),
    env: process.env,
    // npm, bun and deno tasks run scripts from the package folder; INIT_CWD is where the user typed the command.
    cwd: process.env["INIT_CWD"] ?? process.cwd(),
    platform: process.platform,
    readTextFile(path) {
      try {
        return readFileSync(path, "utf8");
      } catch (error) {
        const code = (error as { code?: string }).code;
        if (code === "ENOENT") return undefined;
        if (code === "EACCES" || code === "EPERM") throw new Error("permission denied");
        if (code === "EISDIR") throw new Error("it is a directory");
        throw error;
      }
    },
    writeTextFile(path, text) {
      mkdirSync(dirname(path), { recursive: true });
      // A new file, readable by the owner only, then renamed over the old one: an existing file would keep its
      // permissions (a 0644 file would stay 0644), and a crash mid-write leaves the old file whole.
      const temporary = `${path}.${process.pid}.tmp`;
      try {
        rmSync(temporary, { force: true }); // a leftover of a crashed start would keep its own permissions
        writeFileSync(temporary, text, { mode: 0o600, flag: "wx" });
        renameSync(temporary, path);
      } catch (error) {
        rmSync(temporary, { force: true });
        throw error;
      }
    },
    canOpenFile() {
      try {
        closeSync(openSync(process.platform === "win32" ? "\\\\.\\NUL" : "/dev/null", "r"));
        return true;
      } catch (error) {
        const code = (error as { code?: string }).code;
        return code !== "EMFILE" && code !== "ENFILE";
      }
    },
    processStats: {
      cpuSeconds() {
        const { user, system } = process.cpuUsage();
        return (user + system) / 1e6;
      },
      residentBytes: () => process.memoryUsage.rss(),
    },
    // Windows has no SIGTERM to ask a process to stop gracefully; restart is for Linux and macOS.
    ...(process.platform !== "win32" && { servers: serverRegistry(registryFolder(process.env)) }),
    pid: process.pid,
    print: (line) => void process.stdout.write(line + "\n"),
    printError: (line) => void process.stderr.write(line + "\n"),
    onShutdownSignal(handler) {
      process.on("SIGINT", handler);
      process.on("SIGTERM", handler);
    },
    exit: (code) => process.exit(code),
  };
}

/** Whether the module at `url` is the script this process was started with (Node 20 has no import.meta.main). */
export function isEntryModule(url: string): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return pathToFileURL(realpathSync(script)).href === url;
  } catch {
    return false;
  }
}

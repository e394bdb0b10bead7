/** @module The servers under test: Resound or a floor server on Node, Bun or Deno, soketi on Node, one or two nodes, and redis-server. */

import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { freePort, type Proc, startPinned, waitForPort } from "./processes.ts";
import { ensureSoketi, SOKETI_CONFIG, soketiEntry, soketiEnv, withoutRoutineLines } from "./soketi.ts";

export type Runtime = "node" | "bun" | "deno";
export type ServerKind = "resound" | "floor" | "soketi";
export const RUNTIMES: readonly Runtime[] = ["node", "bun", "deno"];
export const SERVER_KINDS: readonly ServerKind[] = ["resound", "floor", "soketi"];
/** soketi is a Node program (uWebSockets.js is a Node addon), not a runtime variant: it runs in the node rows only. */
export function runsOn(kind: ServerKind, runtime: Runtime): boolean {
  return kind !== "soketi" || runtime === "node";
}

/** The repository root. */
export const ROOT = resolve(import.meta.dirname, "../..");
const BIN = join(ROOT, "node_modules", ".bin");
export const CREDENTIALS = { appId: "bench", key: "bench-key", secret: "bench-secret" };
/** Servers are pinned here; the load generator (and redis) get the other core. */
export const SERVER_CPU = "0";
export const LOAD_CPU = "1";

let scratchDir: string | undefined;
/** A temporary folder with the servers' config file (one app, client events from members, generous size limits). */
function scratch(): string {
  if (scratchDir) return scratchDir;
  const dir = mkdtempSync(join(tmpdir(), "resound-bench-"));
  scratchDir = dir;
  process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(scratchDir, "reverb.json"), JSON.stringify({
    server: { max_request_size: 10_000_000 },
    apps: [{ app_id: CREDENTIALS.appId, key: CREDENTIALS.key, secret: CREDENTIALS.secret, accept_client_events_from: "members", max_message_size: 1_000_000 }],
  }, null, 2));
  writeFileSync(join(scratchDir, "soketi.json"), JSON.stringify(SOKETI_CONFIG, null, 2));
  return scratchDir;
}

/** The Node floor server compiled to JavaScript, inside node_modules so that it resolves `ws` from the repository. */
const FLOOR_NODE_DIR = join(ROOT, "node_modules/.cache/resound-bench");
const FLOOR_NODE_JS = join(FLOOR_NODE_DIR, "node.js");

/**
 * Node runs TypeScript only through a loader (tsx), which is not how the installed package runs: it adds a
 * `__name()` call to every function it creates (tens of µs per publish on a new connection). Node rows therefore
 * measure the compiled package (`npm run build` → dist/, what `npx resound` runs) and a compiled floor.
 * Bun and Deno run the TypeScript sources natively.
 */
export function prepareNode(log: (line: string) => void): void {
  log("building dist/ (npm run build) and the Node floor server, for the node rows");
  execFileSync("npm", ["run", "--silent", "build"], { cwd: ROOT, stdio: ["ignore", 2, 2] });
  // ESM by the repository's package.json ("type": "module"), the nearest one above node_modules/.cache.
  execFileSync(join(ROOT, "node_modules/.bin/tsc"), ["--outDir", FLOOR_NODE_DIR, "--module", "esnext", "--moduleResolution", "bundler", "--target", "es2022",
    "--types", "node", "--skipLibCheck", "--ignoreConfig", join(ROOT, "bench/floor/node.ts")], { cwd: ROOT, stdio: ["ignore", 2, 2] });
}

/** The command line of a server, started directly (no npm/bun run/deno task in between, so the pid is the server's). */
export function serverCommand(kind: ServerKind, runtime: Runtime, port: number): string[] {
  if (kind === "soketi") {
    if (runtime !== "node") throw new Error(`soketi runs on Node only, not ${runtime}`);
    return [process.execPath, soketiEntry(), "start", "--config", join(scratch(), "soketi.json")]; // the port is in its env
  }
  const flags = ["--config", join(scratch(), "reverb.json"), "--host", "127.0.0.1", "--port", String(port), "--quiet"];
  const floor = ["127.0.0.1", String(port)];
  switch (runtime) {
    case "node":
      // Compiled JavaScript, as the installed package runs (see prepareNode), not tsx.
      return [process.execPath, ...(kind === "resound" ? [join(ROOT, "dist/runtimes/cli-node.js"), ...flags] : [FLOOR_NODE_JS, ...floor])];
    case "bun":
      return [join(BIN, "bun"), ...(kind === "resound" ? ["runtimes/cli-bun.ts", ...flags] : ["bench/floor/bun.ts", ...floor])];
    case "deno":
      return kind === "resound"
        ? [join(BIN, "deno"), "run", "--allow-net", "--allow-read", "--allow-write", "--allow-env", "--allow-sys", "runtimes/cli-deno.ts", ...flags]
        : [join(BIN, "deno"), "run", "--allow-net", "bench/floor/deno.ts", ...floor];
  }
}

/** The environment without REVERB_*, REDIS_*, APP_ENV and INIT_CWD, plus `extra`. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^(REVERB_|REDIS_|APP_ENV$|INIT_CWD$)/.test(key)) env[key] = value;
  }
  return { ...env, INIT_CWD: scratch(), XDG_CONFIG_HOME: scratch(), NO_COLOR: "1", ...extra };
}

export interface RunningServer {
  readonly port: number;
  readonly proc: Proc;
}

/** Starts one server on a free port, pinned to the server CPU, and waits until it listens. */
export async function startServer(kind: ServerKind, runtime: Runtime, env: Record<string, string> = {}): Promise<RunningServer> {
  const port = await freePort();
  if (kind === "soketi") {
    ensureSoketi((line) => process.stderr.write(`${line}\n`));
    env = { ...(await soketiEnv(port, CREDENTIALS)), ...env };
  }
  // soketi runs in the scratch folder: it loads a .env from its working directory.
  const started = startPinned(SERVER_CPU, serverCommand(kind, runtime, port), { cwd: kind === "soketi" ? scratch() : ROOT, env: cleanEnv(env) });
  // soketi has no --quiet: its banner and shutdown notice are left out of what the run records.
  const proc: Proc = kind === "soketi" ? { ...started, output: () => withoutRoutineLines(started.output()) } : started;
  try {
    await waitForPort(proc, port);
  } catch (error) {
    await proc.stop();
    throw error;
  }
  return { port, proc };
}

/** redis-server without persistence on a free port, pinned with the load generator. */
export async function startRedis(): Promise<RunningServer> {
  const port = await freePort();
  const command = ["/usr/bin/redis-server", "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"];
  const proc = startPinned(LOAD_CPU, command, { cwd: scratch(), env: cleanEnv() });
  await waitForPort(proc, port);
  return { port, proc };
}

/** Resound nodes with scaling over `redisPort`. */
export function startClusterNode(runtime: Runtime, redisPort: number): Promise<RunningServer> {
  return startServer("resound", runtime, { REVERB_SCALING_ENABLED: "true", REDIS_PORT: String(redisPort), REDIS_HOST: "127.0.0.1" });
}

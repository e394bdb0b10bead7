/** @module Starts the real server as a user would (`npm start`, `bun run start`, `deno task start`) on a free port. */

import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

/** The repository root (where package.json is). */
export const ROOT = resolve(import.meta.dirname, "../..");

export type RuntimeName = "node" | "bun" | "deno";

/** Runtimes the black-box suites run against: all three, or those named in RESOUND_RUNTIMES (e.g. "node,bun"). */
export const RUNTIMES: RuntimeName[] = (process.env["RESOUND_RUNTIMES"] ?? "node,bun,deno")
  .split(",")
  .map((name) => name.trim())
  .filter((name): name is RuntimeName => name === "node" || name === "bun" || name === "deno");

const BIN = join(ROOT, "node_modules", ".bin");

/**
 * The command a user types, in the directory they work in, to start the server on `runtime` with `args`.
 * npm and deno record that directory as INIT_CWD themselves; Bun does not, so the spawner passes it.
 */
export function startCommand(runtime: RuntimeName, args: string[]): { command: string; args: string[] } {
  switch (runtime) {
    case "node":
      return { command: "npm", args: ["--prefix", ROOT, "start", "--silent", "--", ...args] };
    case "bun":
      return { command: join(BIN, "bun"), args: ["run", "--cwd", ROOT, "--silent", "start", ...args] };
    case "deno":
      return { command: join(BIN, "deno"), args: ["task", "--cwd", ROOT, "--quiet", "start", ...args] };
  }
}

/** The checkout's `restart` script on `runtime`: `npm run restart`, `bun run restart`, `deno task restart`. */
export function restartCommand(runtime: RuntimeName, args: string[] = []): { command: string; args: string[] } {
  switch (runtime) {
    case "node":
      return { command: "npm", args: ["--prefix", ROOT, "run", "restart", "--silent", "--", ...args] };
    case "bun":
      return { command: join(BIN, "bun"), args: ["run", "--cwd", ROOT, "--silent", "restart", ...args] };
    case "deno":
      return { command: join(BIN, "deno"), args: ["task", "--cwd", ROOT, "--quiet", "restart", ...args] };
  }
}

/**
 * A free TCP port on 127.0.0.1, below Linux's ephemeral range (32768–60999): a port the kernel picked for us could
 * be taken, before our server binds it, as the local port of one of the many outgoing connections tests make.
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await tryListen(20_000 + Math.floor(Math.random() * 12_000));
    if (port !== undefined) return port;
  }
  const port = await tryListen(0);
  if (port === undefined) throw new Error("no free port on 127.0.0.1");
  return port;
}

/** Binds `port` (0: any) on 127.0.0.1 and releases it; the port, or undefined when it is taken. */
function tryListen(port: number): Promise<number | undefined> {
  return new Promise((resolvePort) => {
    const server = createServer();
    server.once("error", () => resolvePort(undefined));
    server.listen(port, "127.0.0.1", () => {
      const address = server.address();
      const bound = typeof address === "object" && address ? address.port : undefined;
      server.close(() => resolvePort(bound));
    });
  });
}

/** A fresh temporary directory. */
export function tempDir(prefix = "resound-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Writes `content` to `name` in `dir` and returns the path. */
export function writeFile(dir: string, name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

/** A running server process. */
export interface RunningServer {
  readonly port: number;
  readonly process: ChildProcess;
  /** Everything printed so far (stdout and stderr). */
  output(): string;
  /** Resolves when the output matches `pattern`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Sends SIGTERM (or `signal`) to the whole process group and waits for it to exit. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface StartOptions {
  /** Extra CLI flags (after the port). */
  args?: string[];
  /** Extra environment; REVERB_* variables of the test process are never inherited. */
  env?: Record<string, string>;
  /** Working directory the user "typed the command in" (INIT_CWD); defaults to a fresh temp dir. */
  cwd?: string;
  /** Use this port instead of a free one. */
  port?: number;
  /** Start under this open-files limit (`ulimit -n`), as a badly configured host would. */
  fileLimit?: number;
}

/** Runs the CLI on `runtime` and returns once it printed its banner (or rejects with its output). */
export async function startServer(runtime: RuntimeName, options: StartOptions = {}): Promise<RunningServer> {
  // A port we picked can still be taken between the check and the server's bind: then pick another (a port the
  // test chose itself is what the test is about, and is not replaced).
  for (let attempt = 1; ; attempt++) {
    const port = options.port ?? (await freePort());
    const server = runCli(runtime, ["--host", "127.0.0.1", "--port", String(port), ...(options.args ?? [])], options);
    try {
      await server.waitFor(/Starting (secure )?server on/, 30_000);
      return { ...server, port };
    } catch (error) {
      await server.stop("SIGKILL");
      if (options.port === undefined && attempt < 3 && /is already in use/.test(server.output())) continue;
      throw error;
    }
  }
}

/** Runs the CLI with exactly `args`; for tests of startup errors, --help and the like. */
export function runCli(runtime: RuntimeName, args: string[], options: Omit<StartOptions, "args" | "port"> = {}): Omit<RunningServer, "port"> {
  const started = startCommand(runtime, args);
  return runCommand(started.command, started.args, options);
}

/** Runs any command as a user would in `options.cwd` (a fresh temp dir by default), in its own process group. */
export function runCommand(command: string, commandArgs: string[], options: Omit<StartOptions, "args" | "port"> = {}): Omit<RunningServer, "port"> {
  const cwd = options.cwd ?? tempDir();
  const { command: program, args: fullArgs } = options.fileLimit === undefined
    ? { command, args: commandArgs }
    : { command: "bash", args: ["-c", `ulimit -n ${options.fileLimit} && exec "$@"`, "bash", command, ...commandArgs] };
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !/^(REVERB_|REDIS_|APP_ENV$|INIT_CWD$)/.test(key)) env[key] = value;
  }
  const child = spawn(program, fullArgs, {
    cwd,
    // A fresh config directory, so a development app is never written into the real ~/.config, and a fresh runtime
    // directory, so `restart` only ever finds the servers a test gave the same one.
    env: { ...env, INIT_CWD: cwd, NO_COLOR: "1", XDG_CONFIG_HOME: join(cwd, ".config"), XDG_RUNTIME_DIR: join(cwd, ".run"), ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let output = "";
  const waiters = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    output += chunk.toString();
    for (const waiter of waiters) waiter();
  };
  child.stdout!.on("data", onData);
  child.stderr!.on("data", onData);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => {
    child.once("exit", (code, signal) => {
      for (const waiter of waiters) waiter();
      done({ code, signal });
    });
  });

  return {
    process: child,
    output: () => output,
    waitFor(pattern, timeoutMs = 15_000) {
      return new Promise((resolveWait, reject) => {
        const check = () => {
          const match = pattern.exec(output);
          if (match) {
            cleanup();
            resolveWait(match[0]);
          } else if (child.exitCode !== null || child.signalCode !== null) {
            cleanup();
            reject(new Error(`process exited before printing ${pattern}; output:\n${output}`));
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`timed out after ${timeoutMs} ms waiting for ${pattern}; output:\n${output}`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    async stop(signal = "SIGTERM") {
      if (child.exitCode === null && child.signalCode === null) {
        try {
          process.kill(-child.pid!, signal);
        } catch {
          // already gone
        }
        const timer = setTimeout(() => {
          try {
            process.kill(-child.pid!, "SIGKILL");
          } catch {
            // already gone
          }
        }, 15_000);
        const result = await exited;
        clearTimeout(timer);
        return result;
      }
      return exited;
    },
  };
}

/** Waits for the process to exit on its own and returns its exit code and output. */
export async function runToExit(runtime: RuntimeName, args: string[], options: Omit<StartOptions, "args" | "port"> = {}, timeoutMs = 30_000): Promise<{ code: number | null; output: string }> {
  const run = runCli(runtime, args, options);
  const timer = setTimeout(() => void run.stop("SIGKILL"), timeoutMs);
  const { code } = await new Promise<{ code: number | null }>((done) => run.process.once("exit", (exitCode) => done({ code: exitCode })));
  clearTimeout(timer);
  // Let the pipes drain.
  await new Promise((r) => setTimeout(r, 50));
  return { code, output: run.output() };
}

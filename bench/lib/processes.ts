/** @module Child processes for the orchestrator: pinned to a CPU with a raised fd limit, readiness by TCP, clean stop. */

import { type ChildProcess, spawn } from "node:child_process";
import { connect, createServer } from "node:net";

/** Open file descriptors wanted for servers and the load generator (else the hard limit, when that is lower and not ours to raise). */
export const FD_LIMIT = 65536;

export interface Proc {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Everything printed so far (stdout + stderr, the last 64 KB). */
  output(): string;
  /** Whether it exited (and how) before `stop`. */
  exited(): string | undefined;
  /** Resolves with the exit code (null when killed by a signal) once the process is gone. */
  wait(): Promise<number | null>;
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    for (const child of running) child.kill("SIGKILL");
    process.exit(130);
  });
}
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

/**
 * Starts `command` pinned to `cpu` with `ulimit -n FD_LIMIT` (or the hard limit), through `bash -c … exec`, so the pid is the command's own.
 * `onStderr` receives stderr lines when given (else they are only kept in output()).
 */
export function startPinned(cpu: string, command: readonly string[], options: { cwd: string; env: NodeJS.ProcessEnv; onStderr?: (line: string) => void }): Proc {
  const script = `{ ulimit -n ${FD_LIMIT} || ulimit -n "$(ulimit -Hn)"; } 2>/dev/null && exec taskset -c "$0" "$@"`;
  const child = spawn("bash", ["-c", script, cpu, ...command], { cwd: options.cwd, env: options.env, stdio: ["ignore", "pipe", "pipe"] });
  running.add(child);
  let output = "";
  let exitInfo: string | undefined;
  let stopping = false;
  const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-65536));
  child.stdout!.on("data", keep);
  let partial = "";
  child.stderr!.on("data", (chunk: Buffer) => {
    keep(chunk);
    if (!options.onStderr) return;
    const lines = (partial + chunk.toString()).split("\n");
    partial = lines.pop()!;
    for (const line of lines) options.onStderr(line);
  });
  const exit = new Promise<number | null>((resolve) => child.once("exit", (code, signal) => {
    running.delete(child);
    if (!stopping) exitInfo = `exited with ${signal ?? `code ${code}`}`;
    resolve(code);
  }));
  return {
    child,
    pid: child.pid!,
    output: () => output,
    exited: () => exitInfo,
    wait: () => exit,
    async stop() {
      stopping = true;
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exit;
      clearTimeout(timer);
    },
  };
}

/** Resolves once `port` on 127.0.0.1 accepts connections; rejects if `proc` exits first or after `timeoutMs`. */
export async function waitForPort(proc: Proc, port: number, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const exited = proc.exited();
    if (exited) throw new Error(`process ${exited} before listening on ${port}:\n${proc.output()}`);
    if (await accepts(port)) return;
    if (Date.now() > deadline) throw new Error(`nothing listening on ${port} after ${timeoutMs} ms:\n${proc.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/** A free TCP port on 127.0.0.1 (a fresh one per server, so earlier runs' TIME_WAIT sockets never collide). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

/** @module Host: what the CLI needs from a runtime (files, output, listening, signals); each shim implements it. */

import type { Topics } from "../channels/channel.ts";
import type { Connection } from "../protocol/connection.ts";
import type { ProcessStats } from "../metrics/metrics.ts";
import type { ResoundServer } from "../server.ts";

/** Certificate material for direct TLS, already read from disk. */
export interface TlsMaterial {
  readonly cert: string;
  readonly key: string;
  /** Where they came from, for error messages. */
  readonly certFile: string;
  readonly keyFile: string;
  readonly passphrase?: string;
  readonly ca?: string;
  readonly verifyPeer: boolean;
}

/** Where and how to listen. */
export interface ListenOptions {
  /** Address to listen on (default 0.0.0.0). */
  readonly host?: string;
  /** Port to listen on; 0 picks a free one (see {@link Listener.port}). */
  readonly port: number;
  /** Serve wss/https with this certificate (default: plain ws/http). */
  readonly tls?: TlsMaterial | null;
  /**
   * The runtime failed to accept connections after listening (typically out of file descriptors). The shim keeps
   * serving (Deno: listens again) and reports the failure here rather than letting it end the process (default:
   * a console warning).
   */
  readonly onAcceptFailure?: (message: string) => void;
}

/** Where a shim reports accept failures when the embedder gave no handler. */
export function defaultAcceptFailure(message: string): void {
  console.warn(`Resound: accepting a connection failed: ${message}`);
}

/** A listening server. */
export interface Listener {
  /** The bound port (useful with port 0). */
  readonly port: number;
  /** Stops accepting connections and closes open ones. */
  close(): Promise<void>;
}

/** Why a listen attempt failed, phrased for the user by the CLI. */
export class ListenError extends Error {
  readonly reason: "in-use" | "permission" | "address" | "tls" | "unsupported" | "other";
  constructor(reason: ListenError["reason"], message: string) {
    super(message);
    this.reason = reason;
  }
}

/** A running `resound` server as written down for `resound restart`. */
export interface RegisteredServer {
  readonly pid: number;
  readonly host: string;
  readonly port: number;
  readonly runtime: string;
  readonly startedAt: string;
}

/** The servers this user runs on this machine (what `resound restart` stops). */
export interface ServerRegistry {
  /** Writes the server down; returns the function that removes it again. */
  register(server: RegisteredServer): () => void;
  /** The servers still running (entries of processes that died are dropped). */
  list(): RegisteredServer[];
  /** Asks the server to stop gracefully (SIGTERM); false when it is already gone. */
  stop(pid: number): boolean;
  isRunning(pid: number): boolean;
  /** Where the entries are kept, for messages. */
  readonly folder: string;
}

/** A runtime, as the CLI sees it. */
export interface Host {
  readonly runtime: { readonly name: "node" | "bun" | "deno"; readonly version: string };
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The directory the user started in (npm's INIT_CWD when run through a package script). */
  readonly cwd: string;
  /** `process.platform` (e.g. "darwin", "linux", "win32"): where Herd keeps certificates depends on it. */
  readonly platform: string;
  /** File contents, or undefined when it does not exist; throws with a short reason when unreadable. */
  readTextFile(path: string): string | undefined;
  /** Writes a file, creating its directory; throws with a short reason. */
  writeTextFile(path: string, text: string): void;
  print(line: string): void;
  printError(line: string): void;
  /** Native topic pub/sub for channel fan-out, when the runtime has it (Bun). */
  readonly topics?: Topics<Connection>;
  /** How the user started the server, for --help ("resound", "npm start --", …). */
  readonly command: string;
  /** Serves `core`; throws ListenError. */
  listen(core: ResoundServer, options: ListenOptions): Promise<Listener>;
  /** Serves a plain HTTP handler (the metrics port); throws ListenError. */
  listenHttp(fetch: (request: Request) => Response | Promise<Response>, options: { host: string; port: number }): Promise<Listener>;
  /** The process's CPU time and resident memory, for metrics. */
  readonly processStats?: ProcessStats;
  /** This user's running servers on this machine, for `resound restart`; absent where processes cannot be signalled. */
  readonly servers?: ServerRegistry;
  /** This process's id. */
  readonly pid?: number;
  /** Whether the process can open one more file now (false at the open-files limit); runs once a second. */
  canOpenFile?(): boolean;
  /** Calls `handler` on SIGINT/SIGTERM. */
  onShutdownSignal(handler: () => void): void;
  exit(code: number): void;
}

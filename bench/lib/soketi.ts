/** @module soketi 1.6.1 as a third server kind: installed on demand into a cache folder outside the repository, started directly with Node. */

import { execFileSync } from "node:child_process";
import { createSocket } from "node:dgram";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { freePort } from "./processes.ts";

export const SOKETI_VERSION = "1.6.1";
/**
 * soketi depends on uWebSockets.js from GitHub (v20.10.0), which is not on npm and whose binaries do not load on
 * Node 20; this npm build of uWebSockets.js v20.30 carries Node 20 (ABI 115) binaries and the same API.
 */
const UWS_OVERRIDE = "npm:@trufflesuite/uws-js-unofficial@20.30.0-unofficial.0";
/** Written after an install whose uWebSockets.js loaded; without it the folder is installed (again). */
const MARKER = ".resound-bench-installed";

/** `${XDG_CACHE_HOME:-~/.cache}/resound-bench/soketi-1.6.1`: outside the repository, shared by every checkout. */
export function soketiDir(): string {
  return join(process.env["XDG_CACHE_HOME"] || join(homedir(), ".cache"), "resound-bench", `soketi-${SOKETI_VERSION}`);
}

/** soketi's entry point (`soketi start` runs the server in this very process: no fork, no pm2). */
export function soketiEntry(): string {
  return join(soketiDir(), "node_modules", "@soketi", "soketi", "bin", "server.js");
}

/** Installs soketi into soketiDir() unless it is there already; `log` gets progress lines. */
export function ensureSoketi(log: (line: string) => void): void {
  const dir = soketiDir();
  if (existsSync(join(dir, MARKER)) && existsSync(soketiEntry())) return;
  log(`installing @soketi/soketi@${SOKETI_VERSION} into ${dir} (once)`);
  rmSync(join(dir, MARKER), { force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "package.json"), JSON.stringify({
    name: "resound-bench-soketi",
    private: true,
    description: "soketi for Resound's benchmarks (npm run bench -- run --servers …,soketi); safe to delete",
    dependencies: { "@soketi/soketi": SOKETI_VERSION },
    overrides: { "uWebSockets.js": UWS_OVERRIDE },
  }, null, 2) + "\n");
  // Without the npm_* variables of the `npm run bench` around us (lifecycle and package fields of Resound's own
  // package.json); npm reads the user's .npmrc again by itself. stdout goes to stderr: ours carries the report.
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key)));
  execFileSync("npm", ["install", "--no-audit", "--no-fund"], { cwd: dir, env, stdio: ["ignore", 2, 2] });
  // The override is what makes soketi load at all: check that the native module does before trusting the folder.
  const probe = "const uws = require('uWebSockets.js'); if (typeof uws.App !== 'function') throw new Error('no uWS.App'); console.log(require('uWebSockets.js/package.json').name)";
  const name = execFileSync(process.execPath, ["-e", probe], { cwd: dir, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] }).trim();
  const installed = JSON.parse(readFileSync(join(dir, "node_modules", "@soketi", "soketi", "package.json"), "utf8")) as { version: string };
  if (installed.version !== SOKETI_VERSION) throw new Error(`${dir} has @soketi/soketi ${installed.version}, not ${SOKETI_VERSION}`);
  writeFileSync(join(dir, MARKER), `@soketi/soketi@${installed.version} with uWebSockets.js = ${name}\n`);
}

/**
 * Options that have no SOKETI_* variable (its CLI maps a fixed list of names), for `soketi start --config`:
 * the UDP discovery socket binds 0.0.0.0 unless `cluster.address` says otherwise, and the HTTP API's body limit.
 */
export const SOKETI_CONFIG = { "cluster.address": "127.0.0.1", "httpApi.requestLimitInMb": 10 };

/**
 * soketi's environment (names from the envVariables table in dist/cli/cli.js) for one server on `port`: the bench
 * app, loopback only, and the limits raised to what Resound's bench config allows (1 MB messages, client events on,
 * no connection or presence-member limit) so no scenario is refused.
 */
export async function soketiEnv(port: number, credentials: { appId: string; key: string; secret: string }): Promise<Record<string, string>> {
  return {
    SOKETI_DEFAULT_APP_ID: credentials.appId,
    SOKETI_DEFAULT_APP_KEY: credentials.key,
    SOKETI_DEFAULT_APP_SECRET: credentials.secret,
    SOKETI_DEFAULT_APP_ENABLE_CLIENT_MESSAGES: "true",
    SOKETI_DEFAULT_APP_MAX_CONNS: "-1",
    SOKETI_DEFAULT_APP_MAX_BACKEND_EVENTS_PER_SEC: "-1",
    SOKETI_DEFAULT_APP_MAX_CLIENT_EVENTS_PER_SEC: "-1",
    SOKETI_DEFAULT_APP_MAX_READ_REQ_PER_SEC: "-1",
    SOKETI_HOST: "127.0.0.1",
    SOKETI_PORT: String(port),
    // Discovery (node-discover) says hello every 500 ms, to 255.255.255.255 by default: send it to ourselves
    // instead, on a port of our own (so parallel or leftover instances never find each other).
    SOKETI_CLUSTER_UNICAST_ADDRESSES: "127.0.0.1",
    SOKETI_CLUSTER_PORT: String(await freeUdpPort()),
    SOKETI_CLUSTER_HOST: "127.0.0.1",
    // The metrics server always listens (it serves /usage) even with metrics off.
    SOKETI_METRICS_ENABLED: "false",
    SOKETI_METRICS_HOST: "127.0.0.1",
    SOKETI_METRICS_SERVER_PORT: String(await freePort()),
    // 1,000 KB ≥ Resound's 1,000,000-byte max_message_size (soketi checks client events and API payloads in KB).
    SOKETI_EVENT_MAX_SIZE_IN_KB: "1000",
    SOKETI_EVENT_MAX_BATCH_SIZE: "1000",
    SOKETI_EVENT_MAX_CHANNELS_AT_ONCE: "1000",
    SOKETI_PRESENCE_MAX_MEMBERS: "1000000",
    SOKETI_PRESENCE_MAX_MEMBER_SIZE: "1000",
    // Stopping waits this long after closing the sockets (3 s by default); nothing is left to wait for here.
    SOKETI_SHUTDOWN_GRACE_PERIOD: "0",
    SOKETI_DEBUG: "false",
    // aws-sdk v2 (for its SQS/DynamoDB drivers, unused here) prints an end-of-support notice on every start.
    AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE: "1",
  };
}

/** A UDP port on 127.0.0.1 that nothing is bound to right now. */
function freeUdpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = createSocket("udp4");
    socket.once("error", reject);
    socket.bind(0, "127.0.0.1", () => {
      const { port } = socket.address();
      socket.close(() => resolve(port));
    });
  });
}

/** soketi logs its start-up banner and shutdown notice to stdout like everything else; without them, what is left is trouble. */
export function withoutRoutineLines(output: string): string {
  const routine = /Initiating metrics endpoints|Server is up and running|server is available at|endpoint is available on port|New users cannot connect|closing and signaling the existing connections/;
  // Its colours too: the colors package colours pipes and ignores NO_COLOR.
  const plain = output.replace(/\x1b\[[0-9;]*m/g, "");
  return plain.split("\n").filter((line) => line.trim() && !routine.test(line)).join("\n");
}

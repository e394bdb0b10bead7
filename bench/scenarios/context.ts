/** @module What every scenario gets: the target server, credentials, sizes, and the measured pids. */

import type { Args } from "../lib/args.ts";
import type { Credentials } from "../lib/sign.ts";

export type Kind = "public" | "private" | "presence";
export type ScenarioName = "fanout" | "channels" | "presence-storm" | "client-events" | "idle";
export const SCENARIOS: readonly ScenarioName[] = ["fanout", "channels", "presence-storm", "client-events", "idle"];

export interface Context {
  readonly scenario: ScenarioName;
  readonly creds: Credentials;
  /** WebSocket URLs of the app (`…/app/KEY`); subscribers are spread round-robin over them. */
  readonly wsUrls: readonly string[];
  /** HTTP API base (events are published here). */
  readonly http: string;
  /** Server process ids (CPU and RSS are summed over them). */
  readonly pids: readonly number[];
  /** Helper processes (e.g. redis) whose CPU is reported separately. */
  readonly auxPids: readonly number[];
  readonly subscribers: number;
  readonly channels: number;
  readonly kind: Kind;
  readonly events: number;
  /** Events (or client messages) per second; undefined means back-to-back. */
  readonly rate: number | undefined;
  readonly batch: number;
  readonly size: number;
  readonly connectConcurrency: number;
  readonly publishConcurrency: number;
  /** Back-to-back publishers at once. */
  readonly inFlight: number;
  /** A new connection per publish request. */
  readonly newConnection: boolean;
  /** Events published (and delivered) before measuring, so the server is warm as in production. */
  readonly warmUp: number;
  readonly rounds: number;
  readonly holdSeconds: number;
  /** Give up waiting for deliveries after this long without progress. */
  readonly drainMs: number;
}

/** The scenario's result: flat metrics (numbers, medians are taken over them) and notes. */
export interface Result {
  readonly metrics: Record<string, number | null>;
  readonly notes: string[];
}

/** Builds the context from the parsed command line. */
export function contextFrom(args: Args): Context {
  const need = (name: string) => {
    const value = args.get(name);
    if (value === undefined) throw new Error(`--${name} is required`);
    return value;
  };
  const scenario = (args.get("scenario") ?? "fanout") as ScenarioName;
  if (!SCENARIOS.includes(scenario)) throw new Error(`--scenario must be one of ${SCENARIOS.join(", ")}`);
  const kind = (args.get("kind") ?? "public") as Kind;
  if (!["public", "private", "presence"].includes(kind)) throw new Error("--kind must be public, private or presence");
  const creds = { appId: need("app-id"), key: need("key"), secret: need("secret") };
  const wsBases = args.has("ws-urls") ? args.list("ws-urls") : [need("ws")];
  const pids = args.list("pid").map(Number);
  if (pids.some((pid) => !Number.isInteger(pid))) throw new Error("--pid must be process ids");
  const backToBack = args.has("back-to-back") || !args.has("rate");
  return {
    scenario,
    creds,
    wsUrls: wsBases.map((base) => appUrl(base, creds.key)),
    http: args.get("http") ?? wsBases[0]!.replace(/^ws/, "http"),
    pids,
    auxPids: args.list("aux-pid").map(Number),
    subscribers: args.num("subscribers", 100),
    channels: args.num("channels", scenario === "channels" ? 10 : 1),
    kind,
    events: args.num("events", 100),
    rate: backToBack && scenario !== "client-events" ? undefined : args.num("rate", 1000),
    batch: args.num("batch", scenario === "channels" ? 10 : 1),
    size: args.num("size", 100),
    connectConcurrency: args.num("connect-concurrency", 100),
    publishConcurrency: args.num("publish-concurrency", 8),
    inFlight: args.num("in-flight", 1),
    newConnection: args.has("new-connection"),
    warmUp: args.num("warm-up", 0),
    rounds: args.num("rounds", 3),
    holdSeconds: args.num("hold", 30),
    drainMs: args.num("drain-timeout", 5) * 1000,
  };
}

/** `ws://host:port` (or a URL already ending in /app/KEY) → the app's WebSocket URL with protocol 7. */
function appUrl(base: string, key: string): string {
  const url = /\/app\/[^/]+/.test(base) ? base : `${base.replace(/\/$/, "")}/app/${key}`;
  return url.includes("?") ? url : `${url}?protocol=7&client=resound-bench&version=1.0`;
}

/** @module The benchmark suite: scenario sizes (full, from the issue, and --quick for smoke tests) and the sweep. */

import type { ServerKind } from "./servers.ts";

export type SuiteScenario =
  | "fanout" | "burst" | "publish" | "publish-new" | "channels" | "presence-storm" | "client-events" | "idle" | "two-node";
export const SUITE_SCENARIOS: readonly SuiteScenario[] =
  ["fanout", "burst", "publish", "publish-new", "channels", "presence-storm", "client-events", "idle", "two-node"];

/** load.ts arguments (besides target and credentials) per scenario. */
const FULL: Record<SuiteScenario, string[]> = {
  fanout: ["--scenario", "fanout", "--subscribers", "5000", "--events", "100", "--back-to-back"],
  // Eight publishers at once (a Laravel app's queue workers): events of one event-loop turn reach a socket together.
  burst: ["--scenario", "fanout", "--subscribers", "5000", "--events", "100", "--back-to-back", "--in-flight", "8"],
  // The cost of one signed POST /events (keep-alive, 8 in flight): CPU per delivery is CPU per publish here. Measured
  // after 10,000 unmeasured publishes, as on a server that has been running (start-up compilation is not counted).
  publish: ["--scenario", "fanout", "--subscribers", "1", "--events", "20000", "--back-to-back", "--in-flight", "8", "--warm-up", "10000"],
  // The same with a new connection per publish, as PHP-FPM workers broadcast.
  "publish-new": ["--scenario", "fanout", "--subscribers", "1", "--events", "20000", "--back-to-back", "--in-flight", "8", "--new-connection", "--warm-up", "10000"],
  channels: ["--scenario", "channels", "--subscribers", "10000", "--channels", "1000", "--events", "10000", "--batch", "10", "--back-to-back"],
  "presence-storm": ["--scenario", "presence-storm", "--subscribers", "1000", "--rounds", "3"],
  "client-events": ["--scenario", "client-events", "--subscribers", "1000", "--events", "20", "--rate", "2000"],
  idle: ["--scenario", "idle", "--subscribers", "15000", "--hold", "30"],
  "two-node": ["--scenario", "fanout", "--subscribers", "5000", "--events", "100", "--back-to-back"],
};

const QUICK: Record<SuiteScenario, string[]> = {
  fanout: ["--scenario", "fanout", "--subscribers", "200", "--events", "20", "--back-to-back"],
  burst: ["--scenario", "fanout", "--subscribers", "200", "--events", "20", "--back-to-back", "--in-flight", "8"],
  publish: ["--scenario", "fanout", "--subscribers", "1", "--events", "300", "--back-to-back", "--in-flight", "8", "--warm-up", "100"],
  "publish-new": ["--scenario", "fanout", "--subscribers", "1", "--events", "300", "--back-to-back", "--in-flight", "8", "--new-connection", "--warm-up", "100"],
  channels: ["--scenario", "channels", "--subscribers", "400", "--channels", "100", "--events", "200", "--batch", "10", "--back-to-back"],
  "presence-storm": ["--scenario", "presence-storm", "--subscribers", "100", "--rounds", "2"],
  "client-events": ["--scenario", "client-events", "--subscribers", "100", "--events", "10", "--rate", "1000"],
  idle: ["--scenario", "idle", "--subscribers", "500", "--hold", "6"],
  "two-node": ["--scenario", "fanout", "--subscribers", "200", "--events", "20", "--back-to-back"],
};

export function scenarioArgs(scenario: SuiteScenario, quick: boolean): string[] {
  return (quick ? QUICK : FULL)[scenario];
}

/**
 * Floor servers only do public subscribe + HTTP publish on one process. soketi does the whole protocol (it checks the
 * load tool's private/presence auth, signed with the app secret) but runs as one node: two-node is Resound's Redis scaling.
 */
export function supports(server: ServerKind, scenario: SuiteScenario): boolean {
  if (server === "resound") return true;
  if (server === "soketi") return scenario !== "two-node";
  return ["fanout", "burst", "publish", "publish-new", "channels", "idle"].includes(scenario);
}

/** The sweep: fan-out latency at several subscriber counts, at a fixed rate below every server's ceiling. */
export const SWEEP_COUNTS = [500, 1000, 2000, 5000];
export const SWEEP_QUICK_COUNTS = [50, 100, 200];
export function sweepArgs(subscribers: number, quick: boolean): string[] {
  return ["--scenario", "fanout", "--subscribers", String(subscribers), "--events", quick ? "10" : "50", "--rate", "10"];
}

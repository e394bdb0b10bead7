/**
 * @module Signed HTTP API publishing: /events or /batch_events, paced or back-to-back (one or several publishers), over
 * keep-alive connections or a new connection per request.
 */

import { Agent, request } from "node:http";
import { type Credentials, signedPath } from "./sign.ts";
import { nowMs, round } from "./stats.ts";

export interface PublishPlan {
  /** Events to publish, seq 0..events-1. */
  readonly events: number;
  /** Events per request (1: POST /events; more: POST /batch_events). */
  readonly batch: number;
  /** Events per second, or undefined for back-to-back (each publisher's next request after its previous response). */
  readonly rate: number | undefined;
  /** Requests in flight at most when paced. */
  readonly concurrency: number;
  /** Back-to-back publishers working at once (each with its own connection). */
  readonly inFlight: number;
  /** A new TCP connection for every request, as PHP-FPM workers publish (else keep-alive). */
  readonly newConnection: boolean;
  /** The channel of event `seq`. */
  channelOf(seq: number): string;
  /** The data string of event `seq` (stamped when the request is built). */
  dataOf(seq: number): string;
}

export interface PublishResult {
  requests: number;
  errors: number;
  firstError: string | undefined;
  seconds: number;
  /** Milliseconds the pacer ran behind schedule at worst (paced mode). */
  maxLagMs: number;
}

export const EVENT_NAME = "bench-event";

/** Publishes the plan to `httpBase` (e.g. http://127.0.0.1:8080). */
export async function publish(httpBase: string, creds: Credentials, plan: PublishPlan): Promise<PublishResult> {
  const url = new URL(httpBase);
  const agent = new Agent({ keepAlive: !plan.newConnection, maxSockets: plan.rate === undefined ? plan.inFlight : plan.concurrency });
  const result: PublishResult = { requests: 0, errors: 0, firstError: undefined, seconds: 0, maxLagMs: 0 };
  const post = async (first: number) => {
    const count = Math.min(plan.batch, plan.events - first);
    const [path, body] = requestFor(creds, plan, first, count);
    result.requests++;
    const failure = await send(agent, url, path, body).catch((error: Error) => error.message);
    if (failure !== undefined) {
      result.errors++;
      result.firstError ??= failure;
    }
  };
  const started = nowMs();
  if (plan.rate === undefined) {
    let next = 0;
    const publisher = async () => {
      while (next < plan.events) {
        const first = next;
        next += plan.batch;
        await post(first);
      }
    };
    await Promise.all(Array.from({ length: plan.inFlight }, publisher));
  } else {
    const inFlight = new Set<Promise<void>>();
    for (let first = 0; first < plan.events; first += plan.batch) {
      const due = started + (first * 1000) / plan.rate;
      const wait = due - nowMs();
      if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
      while (inFlight.size >= plan.concurrency) await Promise.race(inFlight);
      result.maxLagMs = Math.max(result.maxLagMs, nowMs() - due);
      const pending: Promise<void> = post(first).finally(() => inFlight.delete(pending));
      inFlight.add(pending);
    }
    await Promise.all(inFlight);
  }
  result.seconds = round((nowMs() - started) / 1000);
  result.maxLagMs = round(result.maxLagMs, 1);
  agent.destroy();
  return result;
}

function requestFor(creds: Credentials, plan: PublishPlan, first: number, count: number): [string, string] {
  const base = `/apps/${creds.appId}`;
  const item = (seq: number) => ({ name: EVENT_NAME, channel: plan.channelOf(seq), data: plan.dataOf(seq) });
  if (plan.batch === 1) {
    const body = JSON.stringify(item(first));
    return [signedPath(creds, "POST", `${base}/events`, body), body];
  }
  const body = JSON.stringify({ batch: Array.from({ length: count }, (_, i) => item(first + i)) });
  return [signedPath(creds, "POST", `${base}/batch_events`, body), body];
}

/** POSTs `body`; resolves undefined on 2xx, else with the status and response text. */
function send(agent: Agent, url: URL, path: string, body: string): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const req = request({
      agent, host: url.hostname, port: url.port, method: "POST", path: url.pathname.replace(/\/$/, "") + path,
      headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) },
    }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (text += chunk));
      res.on("end", () => resolve(res.statusCode! < 300 ? undefined : `HTTP ${res.statusCode}: ${text.slice(0, 300)}`));
    });
    req.on("error", reject);
    req.end(body);
  });
}

/** @module A stand-in for a Laravel app's webhook endpoint: records every POST, and can fail some on purpose. */

import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import Pusher from "pusher";

/** One POST as received. */
export interface ReceivedWebhook {
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly status: number;
}

/** A webhook event as Pusher sends it. */
export type WebhookEvent = { name: string; channel: string; [field: string]: unknown };

export interface WebhookReceiver {
  /** `http://127.0.0.1:<port>/pusher/webhook` */
  readonly url: string;
  /** Every POST, failed ones included, in arrival order. */
  readonly received: ReceivedWebhook[];
  /** The events of every accepted POST, in order. */
  events(): WebhookEvent[];
  /** Answer the next `count` POSTs with this status (500 by default), or never answer them (`"hang"`). */
  fail(count: number, status?: number | "hang"): void;
  /** Resolves once the accepted events satisfy `done`; rejects after `timeoutMs` with what arrived. */
  waitFor(done: (events: WebhookEvent[]) => boolean, timeoutMs?: number): Promise<WebhookEvent[]>;
  /** Whether each accepted POST verifies with the `pusher` SDK's `webhook()` for these credentials. */
  allValid(app: { appId: string; key: string; secret: string }): boolean;
  close(): Promise<void>;
}

/** Starts the receiver on a free port of 127.0.0.1. */
export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const received: ReceivedWebhook[] = [];
  let failing = 0;
  let failStatus: number | "hang" = 500;
  const waiters = new Set<() => void>();
  const server = createServer((request, response) => {
    let body = "";
    request.setEncoding("utf8");
    request.on("data", (chunk: string) => (body += chunk));
    request.on("end", () => {
      if (failing > 0) {
        failing--;
        received.push({ headers: request.headers, body, status: failStatus === "hang" ? 0 : failStatus });
        if (failStatus === "hang") return; // never answered: the sender times out
        response.writeHead(failStatus).end();
        return;
      }
      received.push({ headers: request.headers, body, status: 200 });
      response.writeHead(200, { "Content-Type": "application/json" }).end("{}");
      for (const waiter of waiters) waiter();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const events = () => received.filter((r) => r.status === 200).flatMap((r) => (JSON.parse(r.body) as { events: WebhookEvent[] }).events);
  return {
    url: `http://127.0.0.1:${port}/pusher/webhook`,
    received,
    events,
    fail(count, status = 500) {
      failing = count;
      failStatus = status;
    },
    waitFor(done, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (!done(events())) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(events());
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`webhooks not as expected within ${timeoutMs} ms; got ${JSON.stringify(events())}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    allValid(app) {
      const sdk = new Pusher({ appId: app.appId, key: app.key, secret: app.secret, host: "127.0.0.1" });
      return received.filter((r) => r.status === 200).every((r) => sdk.webhook({ headers: r.headers as Record<string, string>, rawBody: r.body }).isValid());
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

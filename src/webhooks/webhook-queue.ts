/**
 * @module Delivery to one webhook endpoint: events are batched (at most 100, sent 100 ms after the first), POSTed
 * signed as Pusher does (`X-Pusher-Key`, `X-Pusher-Signature`: HMAC-SHA256 of the body with the app secret), one
 * request at a time so order holds, and retried with exponential backoff on network errors, timeouts and non-2xx
 * until 5 minutes have passed since the first attempt (as Pusher does; the last retry is at 5 minutes), then dropped
 * with a logged error. The queue is bounded: a dead endpoint costs at
 * most `maxQueue` events of memory, the oldest are dropped first. Nothing here is awaited by message handling.
 */

import type { App } from "../apps/app.ts";
import type { Lifecycle } from "../events/lifecycle.ts";
import type { Clock, StopTimer } from "../support/clock.ts";
import { hmacSha256Hex } from "../support/hashes.ts";
import type { Logger } from "../support/logger.ts";
import { DropLog } from "./drop-log.ts";
import type { Webhook } from "./webhook.ts";

/** Tuning; the defaults suit production, tests shorten them. */
export interface WebhookQueueOptions {
  readonly batchDelayMs: number;
  readonly maxBatch: number;
  readonly maxQueue: number;
  readonly retryForMs: number;
  readonly firstRetryMs: number;
  readonly maxRetryMs: number;
  readonly timeoutMs: number;
}

export const WEBHOOK_DEFAULTS: WebhookQueueOptions = {
  batchDelayMs: 100,
  maxBatch: 100,
  maxQueue: 10_000,
  retryForMs: 5 * 60_000,
  firstRetryMs: 1_000,
  maxRetryMs: 60_000,
  timeoutMs: 10_000,
};

/** What a queue needs around it. */
export interface WebhookContext {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly events: Lifecycle;
  readonly options: WebhookQueueOptions;
}

/** The queue of one app's webhook endpoint. */
export class WebhookQueue {
  private readonly app: App;
  private readonly webhook: Webhook;
  private readonly context: WebhookContext;
  private readonly queue: Array<Record<string, unknown>> = [];
  private timer: StopTimer | undefined;
  private inFlight: Promise<void> | undefined;
  /** How many events the batch in flight holds. */
  private inFlightEvents = 0;
  /** Set when shutdown gave up on what was left: nothing is reported after that. */
  private abandoned = false;
  private closed = false;
  private readonly dropLog: DropLog;

  constructor(app: App, webhook: Webhook, context: WebhookContext) {
    this.app = app;
    this.webhook = webhook;
    this.context = context;
    this.dropLog = new DropLog(context.clock, context.logger, `Webhook ${webhook.url} of app ${app.id}`);
  }

  /** Queues one event (`{name, channel, …}`); sent with the next batch. */
  push(event: Record<string, unknown>): void {
    const { options } = this.context;
    if (this.queue.length >= options.maxQueue) {
      this.queue.shift();
      this.dropped(1, `the queue is full (${options.maxQueue} events waiting)`);
    }
    this.queue.push(event);
    if (!this.inFlight && !this.timer && !this.closed) this.timer = this.context.clock.after(options.batchDelayMs, () => this.flush());
  }

  /** Sends what is queued now, and resolves once the queue is empty or `deadlineMs` has passed (for shutdown). */
  async drain(deadlineMs: number): Promise<void> {
    const until = this.context.clock.now() + deadlineMs;
    while ((this.queue.length > 0 || this.inFlight) && this.context.clock.now() < until) {
      this.flush();
      await Promise.race([this.inFlight, new Promise((resolve) => setTimeout(resolve, 50))]);
    }
    this.closed = true;
    this.timer?.();
    // What is left cannot be sent by a process about to exit: counted and logged, not lost silently.
    const unsent = this.queue.splice(0).length + (this.inFlight ? this.inFlightEvents : 0);
    this.abandoned = true; // a batch still in flight is counted here, not again when its attempt ends
    if (unsent > 0) this.dropped(unsent, "the server stopped before they could be sent");
    this.dropLog.flush();
  }

  private flush(): void {
    this.timer?.();
    this.timer = undefined;
    if (this.inFlight || this.queue.length === 0) return;
    const batch = this.queue.splice(0, this.context.options.maxBatch);
    this.inFlightEvents = batch.length;
    this.inFlight = this.deliver(batch).finally(() => {
      this.inFlight = undefined;
      if (this.queue.length > 0 && !this.closed) this.timer = this.context.clock.after(0, () => this.flush());
    });
  }

  /** POSTs one batch until it is accepted or the retry time is up. */
  private async deliver(batch: Array<Record<string, unknown>>): Promise<void> {
    const { clock, options, events } = this.context;
    const body = JSON.stringify({ time_ms: clock.now(), events: batch });
    const headers = {
      ...this.webhook.headers,
      "Content-Type": "application/json",
      "X-Pusher-Key": this.app.key,
      "X-Pusher-Signature": hmacSha256Hex(this.app.secret, body),
    };
    const started = clock.now();
    let wait = options.firstRetryMs;
    for (;;) {
      const problem = await this.post(body, headers);
      if (this.abandoned) return;
      if (problem === undefined) {
        if (events.wants("webhookSent")) events.emit("webhookSent", { app: this.app, url: this.webhook.url, events: batch.length });
        return;
      }
      const elapsed = clock.now() - started;
      if (this.closed || elapsed >= options.retryForMs) {
        this.dropped(batch.length, `${problem}; gave up after retrying for ${Math.round(elapsed / 1000)} s`);
        return;
      }
      // The last wait is shortened so the final attempt falls at the end of the retry time, not a backoff step before.
      await new Promise<void>((resolve) => clock.after(Math.min(wait, options.retryForMs - elapsed), resolve));
      wait = Math.min(wait * 2, options.maxRetryMs);
    }
  }

  /** One attempt: undefined when the endpoint accepted it (2xx), else what went wrong. */
  private async post(body: string, headers: Record<string, string>): Promise<string | undefined> {
    try {
      const response = await fetch(this.webhook.url, { method: "POST", headers, body, signal: AbortSignal.timeout(this.context.options.timeoutMs) });
      await response.body?.cancel().catch(() => {});
      return response.ok ? undefined : `the endpoint answered ${response.status}`;
    } catch (error) {
      const name = (error as { name?: string }).name;
      if (name === "TimeoutError" || name === "AbortError") return `no answer within ${this.context.options.timeoutMs / 1000} s`;
      return error instanceof Error ? error.message : String(error);
    }
  }

  private dropped(count: number, reason: string): void {
    const { events } = this.context;
    if (events.wants("webhookDropped")) events.emit("webhookDropped", { app: this.app, url: this.webhook.url, events: count, reason });
    this.dropLog.dropped(count, reason);
  }
}

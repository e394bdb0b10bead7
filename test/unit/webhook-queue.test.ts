/** @module One webhook queue on the fake clock: when retries happen and end, and how dropped events are logged. */

import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import { Lifecycle } from "../../src/events/lifecycle.ts";
import type { Logger } from "../../src/support/logger.ts";
import { WEBHOOK_EVENT_TYPES } from "../../src/webhooks/webhook.ts";
import { WEBHOOK_DEFAULTS, WebhookQueue } from "../../src/webhooks/webhook-queue.ts";
import { FakeClock } from "../support/fake-clock.ts";
import { APP_A } from "../support/fixtures.ts";

const realFetch = globalThis.fetch;
const webhook = { url: "http://127.0.0.1:9/hook", eventTypes: WEBHOOK_EVENT_TYPES, headers: {}, channelNameStartsWith: null, channelNameEndsWith: null };

function setup(fetch: () => Promise<Response>, options: Partial<typeof WEBHOOK_DEFAULTS> = {}) {
  const clock = new FakeClock();
  const start = clock.now();
  const attempts: number[] = [];
  globalThis.fetch = () => {
    attempts.push(clock.now() - start);
    return fetch();
  };
  const errors: string[] = [];
  const logger: Logger = { info() {}, warn() {}, error: (line) => void errors.push(line), debug() {}, debugEnabled: false };
  const events = new Lifecycle();
  let dropped = 0;
  events.on("webhookDropped", (event) => void (dropped += event.events));
  const queue = new WebhookQueue(APP_A, webhook, { clock, logger, events, options: { ...WEBHOOK_DEFAULTS, ...options } });
  /** Moves the fake clock in steps, letting each attempt's promise settle between them. */
  const run = async (ms: number, step = 500) => {
    for (let passed = 0; passed < ms; passed += step) {
      clock.advance(step);
      await new Promise((resolve) => setImmediate(resolve));
    }
  };
  return { clock, queue, attempts, errors, run, dropped: () => dropped };
}

describe("webhook queue", () => {
  afterEach(() => {
    globalThis.fetch = realFetch;
  });

  it("retries a failing endpoint with backoff until 5 minutes after the first attempt, the last at 5 minutes", async () => {
    const { queue, attempts, errors, run, dropped } = setup(() => Promise.reject(new Error("ECONNREFUSED")), { batchDelayMs: 500 });
    queue.push({ name: "channel_occupied", channel: "a" });
    await run(10 * 60_000);
    // Seconds since the first attempt (the batch delay, 500 ms, falls on a step of run()).
    assert.deepEqual(attempts.map((ms) => (ms - 500) / 1000), [0, 1, 3, 7, 15, 31, 63, 123, 183, 243, 300]);
    assert.equal(dropped(), 1);
    assert.deepEqual(errors, [`Webhook ${webhook.url} of app ${APP_A.id}: dropped 1 event: ECONNREFUSED; gave up after retrying for 300 s.`]);
  });

  it("logs every event the full queue dropped: the first at once, the rest in a line when the minute is up", async () => {
    const { queue, errors, run, dropped } = setup(() => new Promise<Response>(() => {}), { maxQueue: 10 });
    for (let i = 0; i < 1_000; i++) queue.push({ name: "channel_occupied", channel: `c-${i}` });
    await run(1_000);
    const prefix = `Webhook ${webhook.url} of app ${APP_A.id}:`;
    assert.deepEqual(errors, [`${prefix} dropped 1 event: the queue is full (10 events waiting).`]);
    await run(59_000);
    assert.deepEqual(errors.slice(1), [`${prefix} … and 989 more events dropped in the last minute (the last: the queue is full (10 events waiting)).`]);
    assert.equal(dropped(), 990, "the log and the webhookDropped events (the metric) agree");
    await run(5 * 60_000);
    assert.equal(errors.length, 2, "nothing more to report, nothing more logged");
    for (let i = 0; i < 15; i++) queue.push({ name: "channel_occupied", channel: `d-${i}` });
    assert.equal(errors.length, 3, "a drop after a quiet minute is logged at once");
    await queue.drain(0);
    // 4 more the full queue dropped, then the 10 queued and the 10 of the batch that never got an answer.
    assert.deepEqual(errors.slice(3), [`${prefix} … and 24 more events dropped in the last minute (the last: the server stopped before they could be sent).`],
      "shutdown writes what is held back, and counts what it gives up on");
    assert.equal(dropped(), 1_015);
  });

  it("at shutdown, counts and logs the events it could not send, once, and nothing after", async () => {
    let answer: (response: Response) => void = () => {};
    const { queue, errors, run, dropped } = setup(() => new Promise<Response>((resolve) => (answer = resolve)));
    for (let i = 0; i < 3; i++) queue.push({ name: "channel_occupied", channel: `c-${i}` });
    await run(1_000); // the batch of 3 is in flight, unanswered
    for (let i = 0; i < 2; i++) queue.push({ name: "channel_occupied", channel: `d-${i}` });
    await queue.drain(0);
    assert.equal(dropped(), 5);
    assert.deepEqual(errors, [`Webhook ${webhook.url} of app ${APP_A.id}: dropped 5 events: the server stopped before they could be sent.`]);
    answer(new Response("", { status: 500 })); // the attempt ends after all: not reported again
    await run(5_000);
    assert.equal(dropped(), 5);
    assert.equal(errors.length, 1);
  });
});

/** @module Opens many clients with bounded concurrency, each set up by the scenario (e.g. subscribed), and times it. */

import { Client } from "./client.ts";
import { nowMs, round } from "./stats.ts";
import { progress } from "./progress.ts";

export interface Connected {
  /** Clients that finished setup, in index order (client.index keeps the slot each was opened for). */
  readonly clients: Client[];
  readonly ok: number;
  readonly errors: number;
  readonly firstError: string | undefined;
  readonly seconds: number;
  /** Completed setups per second, from the first open until the last setup finished. */
  readonly perSecond: number;
}

/**
 * Opens `count` clients (client i on `urls[i % urls.length]`), at most `concurrency` at a time; `setup` runs after
 * connection_established (subscribe etc.). Failed clients are terminated and counted.
 */
export async function connectAll(urls: readonly string[], count: number, concurrency: number, setup: (client: Client) => Promise<unknown>): Promise<Connected> {
  const clients: Client[] = [];
  let next = 0;
  let ok = 0;
  let errors = 0;
  let firstError: string | undefined;
  const started = nowMs();
  let lastReport = started;
  const worker = async () => {
    while (next < count) {
      const index = next++;
      const client = new Client(urls[index % urls.length]!, index);
      try {
        await client.established();
        await setup(client);
        clients[index] = client;
        ok++;
      } catch (error) {
        errors++;
        firstError ??= `client ${index}: ${error instanceof Error ? error.message : String(error)}`;
        client.terminate();
      }
      if (nowMs() - lastReport > 2000) {
        lastReport = nowMs();
        progress(`connected ${ok}/${count} (${errors} errors)`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  const seconds = (nowMs() - started) / 1000;
  return { clients: clients.filter(Boolean), ok, errors, firstError, seconds: round(seconds), perSecond: round(ok / seconds, 1) };
}

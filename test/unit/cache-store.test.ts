/** @module CacheStore: how long cached events live, how many are kept, and which of two nodes' copies wins. */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CacheStore } from "../../src/channels/cache-store.ts";

/** A store aging on a hand-moved clock; versions' `at` are hybrid times (wall ms × 1000). */
function store(ttlMs: number, max = Infinity) {
  const clock = { ms: 1_000_000 };
  return { clock, cache: new CacheStore({ ttlMs, max, now: () => clock.ms }) };
}
const at = (ms: number, by = "A") => ({ at: ms * 1000, by });

describe("CacheStore", () => {
  it("an event written here lives ttl from the write; one from another node, ttl from its publish time", () => {
    const { clock, cache } = store(100);
    cache.set("cache-here", "h");
    cache.writing(at(clock.ms - 40), () => cache.set("cache-there", "t"));
    clock.ms += 60;
    assert.deepEqual([cache.get("cache-here"), cache.get("cache-there")], ["h", undefined]);
    assert.equal(cache.has("cache-there"), false);
    clock.ms += 40;
    assert.equal(cache.get("cache-here"), undefined);
    assert.equal(cache.size, 0, "an expired entry read is let go");
  });

  it("refuses another node's expired event, so it cannot push out a live one", () => {
    const { clock, cache } = store(100, 2);
    cache.set("cache-1", "1");
    cache.set("cache-2", "2");
    assert.equal(cache.offer("cache-3", "3", at(clock.ms - 100)), false);
    assert.deepEqual([...cache.keys()], ["cache-1", "cache-2"]);
    assert.equal(cache.offer("cache-3", "3", at(clock.ms - 99)), true);
    assert.deepEqual([...cache.keys()], ["cache-2", "cache-3"], "a live one is taken and the oldest write goes");
  });

  it("a newer version wins whatever the order it arrives in; the older one does not restart the time", () => {
    const { clock, cache } = store(100);
    cache.writing(at(clock.ms, "B"), () => cache.set("cache-x", "new"));
    cache.writing(at(clock.ms - 10, "A"), () => cache.set("cache-x", "old"));
    assert.equal(cache.offer("cache-x", "older", at(clock.ms - 5)), false);
    assert.equal(cache.get("cache-x"), "new");
    clock.ms += 100;
    assert.equal(cache.get("cache-x"), undefined);
  });

  it("the sweep lets go of what is due, oldest writes first, and stops at the first one not due", () => {
    const { clock, cache } = store(100);
    for (let i = 0; i < 5; i++) {
      cache.set(`cache-${i}`, String(i));
      clock.ms += 10;
    }
    cache.set("cache-0", "again"); // written again: moves behind the others
    clock.ms += 75; // now +125: cache-1 (due +110) and cache-2 (+120) are due, cache-3 (+130) is not
    cache.sweep();
    assert.deepEqual([...cache.keys()].sort(), ["cache-0", "cache-3", "cache-4"]);
    clock.ms += 1_000;
    cache.sweep();
    assert.equal(cache.size, 0);
  });
});

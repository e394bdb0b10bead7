/** @module A connection's channels: the Map interface it replaces, with the first channel inline and the rest in a Map. */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConnectionChannels } from "../../src/protocol/connection-channels.ts";

/** Applies the same operations to a ConnectionChannels and a Map and compares them after each. */
function same(operations: Array<["set" | "delete", string]>): void {
  const ours = new ConnectionChannels<string>();
  const map = new Map<string, string>();
  for (const [index, [op, name]] of operations.entries()) {
    const value = `${name}#${index}`;
    if (op === "set") {
      ours.set(name, value);
      map.set(name, value);
    } else {
      assert.equal(ours.delete(name), map.delete(name), `delete ${name} at ${index}`);
    }
    assert.equal(ours.size, map.size, `size after ${op} ${name}`);
    assert.deepEqual(ours.values().sort(), [...map.values()].sort(), `values after ${op} ${name}`);
    for (const probe of ["a", "b", "c", "d"]) {
      assert.equal(ours.has(probe), map.has(probe), `has ${probe} after ${op} ${name}`);
      assert.equal(ours.get(probe), map.get(probe), `get ${probe} after ${op} ${name}`);
    }
  }
}

describe("connection channels", () => {
  it("behaves as a Map through adds, replacements and removals of the inline and the other entries", () => {
    same([["set", "a"], ["set", "a"], ["set", "b"], ["set", "c"], ["delete", "a"], ["set", "b"], ["set", "d"], ["set", "a"], ["delete", "b"], ["delete", "zz"], ["delete", "a"], ["delete", "c"], ["delete", "d"], ["set", "c"]]);
    same([["delete", "a"], ["set", "b"], ["delete", "b"], ["set", "b"], ["set", "a"], ["delete", "b"], ["set", "b"], ["set", "a"]]);
  });

  it("never holds a name twice (a name in the Map is updated there, not moved inline)", () => {
    const channels = new ConnectionChannels<number>();
    channels.set("a", 1).set("b", 2);
    channels.delete("a");
    channels.set("b", 3);
    assert.equal(channels.size, 1);
    assert.deepEqual(channels.values(), [3]);
  });

  it("values() is a copy: leaving channels while walking it is safe", () => {
    const channels = new ConnectionChannels<string>();
    for (const name of ["a", "b", "c"]) channels.set(name, name);
    for (const name of channels.values()) channels.delete(name);
    assert.equal(channels.size, 0);
  });
});

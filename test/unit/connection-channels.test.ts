/** @module A connection's channels in one field (none, the channel itself, or a Map), compared with a plain Map. */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type ChannelSet, channelCount, channelList, findChannel, withChannel, withoutChannel } from "../../src/protocol/connection-channels.ts";

/** A stand-in channel: a name, and a version that tells replacements apart. */
interface Named {
  readonly name: string;
  readonly version: number;
}

const byName = (a: Named, b: Named) => a.name.localeCompare(b.name);

/** Applies the same operations to a channel set and a Map and compares them after each. */
function same(operations: Array<["set" | "delete", string]>): void {
  let ours: ChannelSet<Named> = undefined;
  const map = new Map<string, Named>();
  for (const [index, [op, name]] of operations.entries()) {
    if (op === "set") {
      const value = { name, version: index };
      ours = withChannel(ours, value);
      map.set(name, value);
    } else {
      ours = withoutChannel(ours, name);
      map.delete(name);
    }
    assert.equal(channelCount(ours), map.size, `size after ${op} ${name}`);
    assert.deepEqual(channelList(ours).sort(byName), [...map.values()].sort(byName), `values after ${op} ${name}`);
    for (const probe of ["a", "b", "c", "d"]) assert.equal(findChannel(ours, probe), map.get(probe), `get ${probe} after ${op} ${name}`);
  }
}

describe("connection channels", () => {
  it("behaves as a Map through adds, replacements and removals, single and in a table", () => {
    same([["set", "a"], ["set", "a"], ["set", "b"], ["set", "c"], ["delete", "a"], ["set", "b"], ["set", "d"], ["set", "a"], ["delete", "b"], ["delete", "zz"], ["delete", "a"], ["delete", "c"], ["delete", "d"], ["set", "c"]]);
    same([["delete", "a"], ["set", "b"], ["delete", "b"], ["set", "b"], ["set", "a"], ["delete", "b"], ["set", "b"], ["set", "a"]]);
  });

  it("holds a single channel as itself and empties back to nothing", () => {
    const one = { name: "a", version: 1 };
    assert.equal(withChannel(undefined, one), one, "no table for one channel");
    const two = withChannel(withChannel(undefined, one), { name: "b", version: 2 });
    assert.ok(two instanceof Map);
    assert.equal(withoutChannel(withoutChannel(two, "a"), "b"), undefined);
    assert.equal(withoutChannel(one, "other"), one);
  });

  it("channelList is a copy: leaving channels while walking it is safe", () => {
    let channels: ChannelSet<Named> = undefined;
    for (const name of ["a", "b", "c"]) channels = withChannel(channels, { name, version: 0 });
    for (const channel of channelList(channels)) channels = withoutChannel(channels, channel.name);
    assert.equal(channelCount(channels), 0);
  });
});

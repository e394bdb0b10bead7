/** @module Golden tests: the exact bytes of every outbound frame, including the JSON-encoded `data` strings. */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  cacheMiss,
  channelEvent,
  clientEvent,
  connectionEstablished,
  errorFrame,
  memberAdded,
  memberRemoved,
  PING_FRAME,
  PONG_FRAME,
  subscriptionSucceeded,
} from "../../src/protocol/frames.ts";

describe("outbound frames", () => {
  it("connection_established carries socket_id and activity_timeout as a JSON string", () => {
    assert.equal(
      connectionEstablished("482913.77105", 30),
      '{"event":"pusher:connection_established","data":"{\\"socket_id\\":\\"482913.77105\\",\\"activity_timeout\\":30}"}',
    );
  });

  it("ping and pong are bare events", () => {
    assert.equal(PING_FRAME, '{"event":"pusher:ping"}');
    assert.equal(PONG_FRAME, '{"event":"pusher:pong"}');
  });

  it("errors match Reverb byte for byte", () => {
    const expected: Array<[Parameters<typeof errorFrame>[0], number, string]> = [
      ["appNotFound", 4001, "Application does not exist"],
      ["overQuota", 4004, "Application is over connection quota"],
      ["originNotAllowed", 4009, "Origin not allowed"],
      ["unauthorized", 4009, "Connection is unauthorized"],
      ["notAMember", 4009, "The client is not a member of the specified channel."],
      ["invalidMessage", 4200, "Invalid message format"],
      ["pongTimeout", 4201, "Pong reply not received in time"],
      ["clientEventsDisabled", 4301, "The app does not have client messaging enabled."],
      ["rateLimited", 4301, "Rate limit exceeded"],
    ];
    for (const [name, code, message] of expected) {
      assert.equal(
        errorFrame(name),
        `{"event":"pusher:error","data":"{\\"code\\":${code},\\"message\\":\\"${message}\\"}"}`,
      );
    }
  });

  it("subscription_succeeded for non-presence channels has data \"{}\"", () => {
    assert.equal(
      subscriptionSucceeded("test-channel"),
      '{"event":"pusher_internal:subscription_succeeded","data":"{}","channel":"test-channel"}',
    );
  });

  it("subscription_succeeded for presence carries count, ids and hash", () => {
    const frame = subscriptionSucceeded("presence-test-channel", {
      count: 1,
      ids: [1],
      hash: { "1": { name: "Test User" } },
    });
    assert.equal(
      frame,
      '{"event":"pusher_internal:subscription_succeeded","data":"{\\"presence\\":{\\"count\\":1,\\"ids\\":[1],\\"hash\\":{\\"1\\":{\\"name\\":\\"Test User\\"}}}}","channel":"presence-test-channel"}',
    );
  });

  it("presence without user ids reports an empty list with hash [] (Reverb)", () => {
    assert.equal(
      subscriptionSucceeded("presence-x", { count: 0, ids: [], hash: [] }),
      '{"event":"pusher_internal:subscription_succeeded","data":"{\\"presence\\":{\\"count\\":0,\\"ids\\":[],\\"hash\\":[]}}","channel":"presence-x"}',
    );
  });

  it("member_added carries the whole channel_data; member_removed only the user_id", () => {
    assert.equal(
      memberAdded("presence-test-channel", { user_id: 2, user_info: { name: "Test User 2" } }),
      '{"event":"pusher_internal:member_added","data":"{\\"user_id\\":2,\\"user_info\\":{\\"name\\":\\"Test User 2\\"}}","channel":"presence-test-channel"}',
    );
    assert.equal(
      memberRemoved("presence-test-channel", 3),
      '{"event":"pusher_internal:member_removed","data":"{\\"user_id\\":3}","channel":"presence-test-channel"}',
    );
    assert.equal(
      memberRemoved("presence-x", "3"),
      '{"event":"pusher_internal:member_removed","data":"{\\"user_id\\":\\"3\\"}","channel":"presence-x"}',
    );
  });

  it("cache_miss has no data key", () => {
    assert.equal(cacheMiss("cache-test-channel"), '{"event":"pusher:cache_miss","channel":"cache-test-channel"}');
  });

  it("API events relay data as the exact string given, in event/data/channel order", () => {
    assert.equal(
      channelEvent("App\\Events\\TestEvent", "test-channel", '{"foo":"bar"}'),
      '{"event":"App\\\\Events\\\\TestEvent","data":"{\\"foo\\":\\"bar\\"}","channel":"test-channel"}',
    );
  });

  it("client events relay raw data byte-for-byte and append user_id", () => {
    assert.equal(
      clientEvent("client-typing", "private-chat", '{"id": 12345678901234567890, "a":"\\u00e9"}', "1"),
      '{"event":"client-typing","channel":"private-chat","data":{"id": 12345678901234567890, "a":"\\u00e9"},"user_id":"1"}',
    );
    assert.equal(clientEvent("client-x", "private-c"), '{"event":"client-x","channel":"private-c"}');
    assert.equal(clientEvent("client-x", "presence-c", "[]", 7), '{"event":"client-x","channel":"presence-c","data":[],"user_id":7}');
  });
});

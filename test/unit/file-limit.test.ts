/** @module Out of file descriptors: the probe, the count, and one warning a minute with the fix. */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { FILE_LIMIT_ADVICE, FileLimitWatch, isFileLimitError } from "../../src/cli/file-limit.ts";
import { Lifecycle } from "../../src/events/lifecycle.ts";
import type { Logger } from "../../src/support/logger.ts";
import { FakeClock } from "../support/fake-clock.ts";

function recordingLogger(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  return { info() {}, warn: (message) => void warnings.push(message), error() {}, debug() {}, debugEnabled: false, warnings };
}

/** A Lifecycle that counts fileLimitReached events. */
function countingEvents() {
  const events = new Lifecycle();
  const counted = { events, fileLimit: 0 };
  events.on("fileLimitReached", () => void counted.fileLimit++);
  return counted;
}

describe("open-files limit", () => {
  it("recognises the runtimes' wording of EMFILE and ENFILE, and nothing else", () => {
    for (const message of ["accept EMFILE", "ENFILE: file table overflow", "Http: Error: Too many open files (os error 24)", "os error 23"]) {
      assert.equal(isFileLimitError(message), true, message);
    }
    for (const message of ["ECONNRESET", "Address already in use (os error 98)", "os error 240"]) {
      assert.equal(isFileLimitError(message), false, message);
    }
  });

  it("probes every second, counts every failure, and warns at most once a minute with the fix", () => {
    const clock = new FakeClock();
    const logger = recordingLogger();
    const counters = countingEvents();
    let exhausted = false;
    const stop = new FileLimitWatch(clock, logger, counters.events).start(() => !exhausted);
    clock.advance(5_000);
    assert.deepEqual([counters.fileLimit, logger.warnings.length], [0, 0]);
    exhausted = true;
    clock.advance(1_000);
    assert.equal(counters.fileLimit, 1);
    assert.deepEqual(logger.warnings, [`Too many open files: new connections are being refused. To serve more clients, ${FILE_LIMIT_ADVICE}.`]);
    clock.advance(59_000);
    assert.deepEqual([counters.fileLimit, logger.warnings.length], [60, 1]);
    clock.advance(1_000);
    assert.equal(logger.warnings.length, 2);
    assert.match(logger.warnings[1]!, /\(60 times since the last warning\)/);
    stop();
    clock.advance(120_000);
    assert.equal(counters.fileLimit, 61);
  });

  it("counts reports from the runtime (failed accepts) like failed probes", () => {
    const clock = new FakeClock();
    const logger = recordingLogger();
    const counters = countingEvents();
    const watch = new FileLimitWatch(clock, logger, counters.events);
    for (let i = 0; i < 50; i++) watch.report();
    assert.deepEqual([counters.fileLimit, logger.warnings.length], [50, 1]);
  });
});

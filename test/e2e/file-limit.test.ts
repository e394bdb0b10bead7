/** @module A burst of connections past the open-files limit: refused, reported once with the fix, and the server keeps serving. */

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import WebSocket from "ws";
import { writeConfig } from "../support/e2e-server.ts";
import { APP_A } from "../support/fixtures.ts";
import { type RunningServer, RUNTIMES, startServer } from "../support/spawn.ts";
import { connect } from "../support/ws-client.ts";

const LIMIT = 400;
const FLOOD = 700;

/** Opens `count` WebSockets at once and resolves, once each has opened or failed, with those that opened. */
async function flood(url: string, count: number): Promise<WebSocket[]> {
  const sockets = Array.from({ length: count }, () => new WebSocket(url));
  await Promise.all(sockets.map((socket) =>
    new Promise<void>((done) => {
      const timer = setTimeout(done, 8_000); // a connection left in the listen queue neither opens nor fails
      socket.once("message", () => {
        clearTimeout(timer);
        done();
      });
      socket.once("error", () => {});
      socket.once("close", () => {
        clearTimeout(timer);
        done();
      });
    })
  ));
  return sockets;
}

for (const runtime of RUNTIMES) {
  describe(`${runtime}: connection flood past the open-files limit`, () => {
    let server: RunningServer;
    before(async () => {
      server = await startServer(runtime, { args: ["--config", writeConfig()], fileLimit: LIMIT });
    });
    after(async () => {
      await server?.stop();
    });

    it("refuses what it cannot accept, says how to raise the limit (no stack trace), then serves again", async () => {
      const url = `ws://127.0.0.1:${server.port}/app/${APP_A.key}`;
      const sockets = await flood(url, FLOOD);
      const opened = sockets.filter((socket) => socket.readyState === WebSocket.OPEN).length;
      assert.ok(opened < FLOOD, `all ${FLOOD} connections were accepted under a limit of ${LIMIT} open files`);
      await server.waitFor(/Too many open files: new connections are being refused.*ulimit -n.*LimitNOFILE.*minfds/, 5_000);
      for (const socket of sockets) socket.terminate();
      await new Promise((resolve) => setTimeout(resolve, 1_000));

      assert.ok(server.process.exitCode === null && server.process.signalCode === null, `the server exited:\n${server.output()}`);
      const up = await fetch(`http://127.0.0.1:${server.port}/up`);
      assert.equal(up.status, 200);
      const client = await connect(url);
      assert.equal((await client.next(5_000)).event, "pusher:connection_established");
      await client.close();
      assert.doesNotMatch(server.output(), /\n\s+at |Uncaught|error: /, "no stack trace or uncaught error");
      const warnings = server.output().match(/Too many open files: new connections/g) ?? [];
      assert.equal(warnings.length, 1, `one warning per minute, not one per refused client:\n${server.output()}`);
    });
  });
}

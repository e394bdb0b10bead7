/**
 * @module Operating the server as Reverb users do: `restart` from a second process (one node, and a cluster over
 * Redis), Prometheus metrics on their own port (checked by promtool), --debug, and the development app's settings.
 */

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { serverSdk, writeConfig } from "../support/e2e-server.ts";
import { signQuery } from "../../src/http/verify-signature.ts";
import { APP_A } from "../support/fixtures.ts";
import { rawConnection } from "../support/raw-http.ts";
import { eventually, type RedisServer, startRedis } from "../support/redis-server.ts";
import { freePort, restartCommand, type RunningServer, RUNTIMES, runCommand, runToExit, startServer, tempDir } from "../support/spawn.ts";
import { connect, type RawClient } from "../support/ws-client.ts";

/** Runs the checkout's restart script to its end; returns exit code and output. */
async function runRestart(runtime: (typeof RUNTIMES)[number], env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const { command, args } = restartCommand(runtime);
  const run = runCommand(command, args, { env });
  const code = await new Promise<number | null>((resolve) => run.process.once("exit", (exitCode) => resolve(exitCode)));
  await new Promise((resolve) => setTimeout(resolve, 50));
  return { code, output: run.output() };
}

/** A raw client of app A on `port`, subscribed to `channel`. */
async function subscribedClient(port: number, channel = "news"): Promise<RawClient> {
  const client = await connect(`ws://127.0.0.1:${port}/app/${APP_A.key}`);
  assert.equal((await client.next()).event, "pusher:connection_established");
  client.send({ event: "pusher:subscribe", data: { channel } });
  assert.equal((await client.next()).event, "pusher_internal:subscription_succeeded");
  return client;
}

/** The client is told to reconnect (4200) and closed with 4200. */
async function assertToldToReconnect(client: RawClient): Promise<void> {
  const error = await client.next(10_000);
  assert.equal(error.event, "pusher:error");
  assert.equal((error.data as { code: number }).code, 4200);
  assert.equal((await client.closed).code, 4200);
}

/** Waits for the server process to exit by itself and returns its exit code. */
function exited(server: RunningServer, timeoutMs = 12_000): Promise<number | null> {
  return new Promise((resolve, reject) => {
    if (server.process.exitCode !== null) return resolve(server.process.exitCode);
    const timer = setTimeout(() => reject(new Error(`server still running ${timeoutMs} ms after restart:\n${server.output()}`)), timeoutMs);
    server.process.once("exit", (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

for (const runtime of RUNTIMES) {
  describe(`${runtime}: restart`, () => {
    it("stops every server of this machine gracefully from a second process, whatever their ports and apps; exit 0", async () => {
      const runDir = tempDir("resound-run-");
      const env = { XDG_RUNTIME_DIR: runDir };
      const first = await startServer(runtime, { args: ["--config", writeConfig()], env });
      const second = await startServer(runtime, { env: { ...env, REVERB_APP_ID: "555", REVERB_APP_KEY: "other-key", REVERB_APP_SECRET: "s" } });
      try {
        const client = await subscribedClient(first.port);
        const restarted = await runRestart(runtime, env);
        assert.equal(restarted.code, 0, restarted.output);
        assert.match(restarted.output, /Restarting 2 Resound servers on this machine/);
        assert.match(restarted.output, /Every server stopped gracefully/);
        await assertToldToReconnect(client);
        assert.deepEqual([await exited(first), await exited(second)], [0, 0]);
      } finally {
        await Promise.all([first.stop(), second.stop()]);
      }
    });

    it("says so, and exits 0, when no server runs", async () => {
      const restarted = await runRestart(runtime, { XDG_RUNTIME_DIR: tempDir("resound-run-") });
      assert.equal(restarted.code, 0);
      assert.match(restarted.output, /No Resound server is running on this machine; nothing to restart\./);
    });
  });
}

describe("restart over Redis: every node of the cluster, wherever it runs", () => {
  let redis: RedisServer;
  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    await redis?.stop();
  });

  for (const runtime of RUNTIMES) {
    it(`${runtime}: restart (run where no server runs) stops two nodes on other "machines" through Redis`, async () => {
      const channel = `restart-${runtime}-${Date.now()}`;
      const scaling = { REVERB_SCALING_ENABLED: "true", REDIS_PORT: String(redis.port), REVERB_SCALING_CHANNEL: channel };
      const peers = RUNTIMES.length > 1 ? RUNTIMES.filter((other) => other !== runtime).slice(0, 2) : [runtime, runtime];
      const nodes = await Promise.all(peers.map((peer) =>
        startServer(peer, { args: ["--config", writeConfig()], env: { ...scaling, XDG_RUNTIME_DIR: tempDir("resound-run-") } })
      ));
      try {
        const clients = await Promise.all(nodes.map((node) => subscribedClient(node.port)));
        // Its own, empty registry: only Redis can reach the nodes.
        const restarted = await runRestart(runtime, { ...scaling, XDG_RUNTIME_DIR: tempDir("resound-run-") });
        assert.equal(restarted.code, 0, restarted.output);
        assert.match(restarted.output, new RegExp(`Broadcasting the restart signal to the cluster on channel "${channel}" on Redis at redis://127\\.0\\.0\\.1:\\d+\\.`));
        for (const client of clients) await assertToldToReconnect(client);
        assert.deepEqual(await Promise.all(nodes.map((node) => exited(node))), nodes.map(() => 0));
        for (const node of nodes) assert.match(node.output(), /Restart requested over Redis/);
      } finally {
        await Promise.all(nodes.map((node) => node.stop()));
      }
    });
  }
});

for (const runtime of RUNTIMES) {
  describe(`${runtime}: metrics`, () => {
    let server: RunningServer;
    let metricsPort: number;
    before(async () => {
      metricsPort = await freePort();
      server = await startServer(runtime, { args: ["--config", writeConfig(), "--metrics-port", String(metricsPort)] });
    });
    after(async () => {
      await server?.stop();
    });
    const scrape = async () => {
      const response = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
      assert.equal(response.status, 200);
      assert.match(response.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
      return response.text();
    };
    const value = (text: string, sample: string) => {
      const line = text.split("\n").find((candidate) => candidate.startsWith(`${sample} `));
      assert.ok(line, `no sample ${sample} in:\n${text}`);
      return Number(line.slice(sample.length + 1));
    };

    it("serves GET /metrics on its own port only, says where in the banner, passes promtool check metrics", async () => {
      assert.match(server.output(), new RegExp(`Metrics    http://127\\.0\\.0\\.1:${metricsPort}/metrics`));
      assert.equal((await fetch(`http://127.0.0.1:${server.port}/metrics`)).status, 404, "never on the public port");
      const text = await scrape();
      // promtool comes with Debian's prometheus package (.ci/run installs it).
      const checked = spawnSync("promtool", ["check", "metrics"], { input: text, encoding: "utf8", timeout: 20_000 });
      assert.equal(checked.error, undefined, "promtool must be installed (apt-get install prometheus)");
      assert.equal(checked.status, 0, `promtool: ${checked.stdout}${checked.stderr}`);
    });

    it("counts connections, channels by type, messages and bytes both ways, HTTP requests, and the process", async () => {
      const client = await subscribedClient(server.port, "news");
      client.send({ event: "pusher:subscribe", data: { channel: "presence-room", auth: "x" } }); // refused: still a message
      await client.next();
      await serverSdk(server.port).trigger("news", "hello", { n: 1 });
      await client.next();
      const text = await scrape();
      const app = `app_id="${APP_A.id}"`;
      assert.equal(value(text, `resound_connections{${app}}`), 1);
      assert.equal(value(text, `resound_channels{${app},type="public"}`), 1);
      assert.equal(value(text, `resound_channels{${app},type="presence"}`), 0);
      assert.ok(value(text, `resound_new_connections_total{${app}}`) >= 1);
      assert.ok(value(text, `resound_messages_received_total{${app}}`) >= 2);
      assert.ok(value(text, `resound_bytes_received_total{${app}}`) > 50);
      assert.ok(value(text, `resound_messages_sent_total{${app}}`) >= 4); // established, succeeded, error, event
      assert.ok(value(text, `resound_bytes_sent_total{${app}}`) > 100);
      assert.equal(value(text, `resound_http_requests_total{${app},route="/apps/:appId/events",status="200"}`), 1);
      assert.ok(value(text, "process_cpu_seconds_total") > 0);
      assert.ok(value(text, "process_resident_memory_bytes") > 1_000_000);
      await client.close();
      // The client has its close frame back; the server counts the connection gone when its side has closed too.
      await eventually(scrape, (after) => assert.equal(value(after, `resound_connections{${app}}`), 0));
    });

    it("refuses other paths and methods on the metrics port", async () => {
      assert.equal((await fetch(`http://127.0.0.1:${metricsPort}/`)).status, 404);
      assert.equal((await fetch(`http://127.0.0.1:${metricsPort}/metrics`, { method: "POST" })).status, 405);
    });

    it("answers HTTP/1.0 requests without a Host header (HAProxy's httpchk, monitoring scripts): /up, /metrics, the API", async () => {
      const http10 = async (port: number, request: string) => {
        const connection = await rawConnection(port, request);
        await connection.closedWithin(5_000); // HTTP/1.0 without keep-alive: the answer ends with the connection
        const [head = "", body = ""] = connection.received().split("\r\n\r\n");
        return { status: Number(head.split(" ")[1]), body };
      };
      const up = await http10(server.port, "GET /up HTTP/1.0\r\n\r\n");
      assert.deepEqual([up.status, JSON.parse(up.body)], [200, { health: "OK" }]);
      const metrics = await http10(metricsPort, "GET /metrics HTTP/1.0\r\n\r\n");
      assert.equal(metrics.status, 200);
      assert.match(metrics.body, /^resound_connections\{app_id="/m);
      const client = await subscribedClient(server.port, "health");
      const path = `/apps/${APP_A.id}/events`;
      const body = JSON.stringify({ name: "checked", channel: "health", data: "{}" });
      const published = await http10(server.port,
        `POST ${path}?${signQuery(APP_A, "POST", path, body, Date.now())} HTTP/1.0\r\nContent-Type: application/json\r\n` +
          `Content-Length: ${body.length}\r\n\r\n${body}`);
      assert.deepEqual([published.status, published.body], [200, "{}"]);
      const event = await client.next();
      assert.deepEqual([event.event, event.channel, event.data], ["checked", "health", {}]);
      const channelsPath = `/apps/${APP_A.id}/channels`;
      const listed = await http10(server.port, `GET ${channelsPath}?${signQuery(APP_A, "GET", channelsPath, "", Date.now())} HTTP/1.0\r\n\r\n`);
      assert.deepEqual([listed.status, JSON.parse(listed.body)], [200, { channels: { health: {} } }]);
      await client.close();
    });
  });
}

for (const runtime of RUNTIMES) {
  describe(`${runtime}: --debug and the development app`, () => {
    it("--debug prints messages received and sent, with their sizes", async () => {
      const server = await startServer(runtime, { args: ["--config", writeConfig(), "--debug"] });
      try {
        const client = await subscribedClient(server.port);
        await server.waitFor(/Message Received\s+\S+ \d+ bytes \{"event":"pusher:subscribe"/);
        await server.waitFor(/Message Sent\s+\S+ \d+ bytes \{"event":"pusher_internal:subscription_succeeded"/);
        await serverSdk(server.port).trigger("news", "hello", {});
        await server.waitFor(/Broadcasting To\s+news: 1 connection × \d+ bytes \{"event":"hello"/);
        // A close the server makes is reported with its code (Bun reports it back from inside ws.close): here the
        // graceful stop's 4200.
        await server.stop();
        assert.equal((await client.closed).code, 4200);
        assert.match(server.output(), /Connection Closed\s+\d+\.\d+ \(close 4200\)/);
      } finally {
        await server.stop();
      }
    });

    it("the development app takes the REVERB_APP_* settings, and a bad one stops startup with one line", async () => {
      const bad = await runToExit(runtime, ["--host", "127.0.0.1", "--port", String(await freePort())], { env: { REVERB_APP_MAX_MESSAGE_SIZE: "abc" } });
      assert.equal(bad.code, 1);
      assert.match(bad.output, /^Error: REVERB_APP_MAX_MESSAGE_SIZE is "abc"; it must be a whole number, 1 or more\.$/m);
      const cwd = mkdtempSync(join(tmpdir(), "resound-dev-"));
      const server = await startServer(runtime, { cwd, env: { REVERB_APP_ACCEPT_CLIENT_EVENTS_FROM: "none", REVERB_APP_MAX_MESSAGE_SIZE: "100" } });
      try {
        const key = /REVERB_APP_KEY=(\S+)/.exec(server.output())![1]!;
        const client = await connect(`ws://127.0.0.1:${server.port}/app/${key}`);
        await client.next();
        client.send({ event: "client-typing", channel: "private-x", data: {} });
        assert.deepEqual((await client.next()).data, { code: 4301, message: "The app does not have client messaging enabled." });
        client.send(JSON.stringify({ event: "pusher:ping", data: "x".repeat(200) }));
        assert.equal((await client.closed).code, 1009);
      } finally {
        await server.stop();
      }
    });
  });
}

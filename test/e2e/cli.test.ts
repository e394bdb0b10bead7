/** @module The CLI as a user runs it: help, version, one-line startup errors, .env handling, banner and SIGTERM. */

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { connect as tcpConnect, createServer } from "node:net";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { App } from "../../src/apps/app.ts";
import { signQuery } from "../../src/http/verify-signature.ts";
import { serverSdk, writeConfig } from "../support/e2e-server.ts";
import { fixtureConfigFile } from "../support/fixtures.ts";
import { freePort, ROOT, RUNTIMES, runToExit, startServer, tempDir, writeFile } from "../support/spawn.ts";
import { startWebhookReceiver } from "../support/webhook-receiver.ts";
import { connect } from "../support/ws-client.ts";

const ESTABLISHED = /^\{"event":"pusher:connection_established"/;
const SHUTTING_DOWN = '{"event":"pusher:error","data":"{\\"code\\":4200,\\"message\\":\\"Server is shutting down, please reconnect\\"}"}';

/** A Laravel project's .env after `php artisan install:broadcasting` (comments, quotes, ${} references). */
const LARAVEL_ENV = `APP_NAME=Laravel
APP_ENV=local
APP_URL=http://localhost

# Broadcasting
BROADCAST_CONNECTION=reverb

REVERB_APP_ID=246810
REVERB_APP_KEY="dotenv-key"
REVERB_APP_SECRET='dotenv-secret'
REVERB_PORT=8080
REVERB_SCHEME=http

VITE_REVERB_APP_KEY="\${REVERB_APP_KEY}"
VITE_REVERB_PORT="\${REVERB_PORT}"
`;

/** The non-empty lines a failed start printed. */
const lines = (output: string) => output.split("\n").filter((line) => line.trim() !== "");

/** Connects to `key` and returns the first frame's text (connection_established or an error). */
async function firstFrame(port: number, key: string): Promise<string> {
  const client = await connect(`ws://127.0.0.1:${port}/app/${key}`);
  try {
    return (await client.next()).raw;
  } finally {
    await client.close();
  }
}

for (const runtime of RUNTIMES) {
  describe(runtime, () => {
    it("prints every flag with --help and exits 0", async () => {
      const { code, output } = await runToExit(runtime, ["--help"]);
      assert.equal(code, 0);
      for (const flag of ["host", "port", "path", "hostname", "config", "env-file", "debug", "help", "version"]) {
        assert.match(output, new RegExp(`--${flag}\\b`), `--${flag} is listed`);
      }
    });

    it("prints the package version with --version and exits 0", async () => {
      const { version } = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string };
      const { code, output } = await runToExit(runtime, ["--version"]);
      assert.equal(code, 0);
      assert.equal(output.trim(), `Resound ${version}`);
    });

    const failures: Array<{ name: string; args: () => string[]; env?: Record<string, string>; expect: RegExp }> = [
      { name: "a port out of range", args: () => ["--port", "99999"], expect: /--port\b.*99999/ },
      { name: "an unknown flag (with a suggestion)", args: () => ["--prot", "8080"], expect: /--prot\b.*--port/ },
      {
        name: "a config value of the wrong type",
        args: () => ["--config", writeConfig([{ app_id: "1", key: "k", secret: "s", max_message_size: "big" }])],
        expect: /apps\[3\]\.max_message_size\b.*"big"/,
      },
      {
        name: "an unknown config key (with a suggestion)",
        args: () => ["--config", writeConfig([{ app_id: "1", key: "k", secret: "s", ping_intervall: 5 }])],
        expect: /apps\[3\]\.ping_intervall\b.*ping_interval/,
      },
      {
        name: "a JSON syntax error (with line and column)",
        args: () => ["--config", writeFile(tempDir(), "reverb.json", '{\n  "apps": [\n    {"app_id": "1",}\n  ]\n}')],
        expect: /not valid JSON.*line 3, column \d+/,
      },
      {
        name: "two apps with the same app_id",
        args: () => ["--config", writeConfig([{ app_id: "123456", key: "another-key", secret: "s" }])],
        expect: /app_id "123456"/,
      },
      {
        name: "no app with --production (naming the env variables)",
        args: () => ["--production"],
        expect: /No app is configured, and in production.*REVERB_APP_ID.*REVERB_APP_KEY.*REVERB_APP_SECRET/,
      },
      {
        name: "no app with APP_ENV=production (naming the env variables)",
        args: () => [],
        env: { APP_ENV: "production" },
        expect: /No app is configured, and in production.*REVERB_APP_ID.*REVERB_APP_KEY.*REVERB_APP_SECRET/,
      },
      {
        name: "a metrics host that is not a host name (naming the config key)",
        args: () => ["--config", writeConfig([], { metrics: { host: "not a host!", port: 9100 } })],
        expect: /server\.metrics\.host in .* is "not a host!"; it must be a host name or IP address\.$/m,
      },
      {
        // Node, Bun and Deno each word this differently (ENOTFOUND, EINVAL, "failed to lookup address information").
        name: "a host name that does not resolve (naming the host setting)",
        args: () => ["--config", writeConfig(), "--host", "nonexistent.invalid", "--port", "8080"],
        expect: /^Error: Cannot listen on nonexistent\.invalid:8080: the name does not resolve to an address of this machine; check --host or REVERB_SERVER_HOST\.$/m,
      },
      {
        name: "a missing --env-file",
        args: () => ["--env-file", "/nonexistent/reverb.env"],
        expect: /--env-file \/nonexistent\/reverb\.env/,
      },
    ];
    for (const failure of failures) {
      it(`exits 1 with one line on ${failure.name}`, async () => {
        const { code, output } = await runToExit(runtime, failure.args(), { env: failure.env ?? {} });
        assert.equal(code, 1, output);
        assert.equal(lines(output).length, 1, `exactly one line:\n${output}`);
        assert.match(output, failure.expect);
      });
    }

    it("exits 1 with a clear message when the port is taken", async () => {
      const blocker = createServer();
      const port = await freePort();
      await new Promise<void>((resolve) => blocker.listen(port, "127.0.0.1", resolve));
      try {
        const config = writeFile(tempDir(), "reverb.json", fixtureConfigFile());
        const { code, output } = await runToExit(runtime, ["--host", "127.0.0.1", "--port", String(port), "--config", config]);
        assert.equal(code, 1, output);
        assert.equal(lines(output).length, 1, output);
        assert.match(output, new RegExp(`${port}.*already in use`));
      } finally {
        await new Promise((resolve) => blocker.close(resolve));
      }
    });

    it("exits 1 naming the metrics host setting when the metrics host does not resolve", async () => {
      const port = await freePort();
      const args = ["--config", writeConfig(), "--host", "127.0.0.1", "--port", String(port), "--metrics-host", "nonexistent.invalid", "--metrics-port", "9100"];
      const { code, output } = await runToExit(runtime, args);
      assert.equal(code, 1, output);
      assert.deepEqual(lines(output), [
        "Error: Cannot serve metrics on nonexistent.invalid:9100: the name does not resolve to an address of this machine; check --metrics-host, RESOUND_METRICS_HOST or server.metrics.host (127.0.0.1 unless set).",
      ]);
    });

    it("reads the Laravel .env of the directory it is started in", async () => {
      const cwd = tempDir();
      writeFile(cwd, ".env", LARAVEL_ENV);
      const server = await startServer(runtime, { cwd });
      try {
        assert.match(await firstFrame(server.port, "dotenv-key"), ESTABLISHED);
        const sdk = serverSdk(server.port, { appId: "246810", key: "dotenv-key", secret: "dotenv-secret" });
        assert.deepEqual(await (await sdk.get({ path: "/connections" })).json(), { connections: 0 });
      } finally {
        await server.stop();
      }
    });

    it("lets real environment variables override the .env file", async () => {
      const cwd = tempDir();
      writeFile(cwd, ".env", LARAVEL_ENV);
      const server = await startServer(runtime, { cwd, env: { REVERB_APP_KEY: "env-key" } });
      try {
        assert.match(await firstFrame(server.port, "env-key"), ESTABLISHED);
        assert.match(await firstFrame(server.port, "dotenv-key"), /"code\\":4001/);
      } finally {
        await server.stop();
      }
    });

    it("reads --env-file relative to the directory it is started in", async () => {
      const cwd = tempDir();
      writeFile(cwd, ".env", "REVERB_APP_ID=1\nREVERB_APP_KEY=cwd-key\nREVERB_APP_SECRET=s\n");
      writeFile(cwd, "reverb.env", LARAVEL_ENV.replace('"dotenv-key"', "file-key"));
      const server = await startServer(runtime, { cwd, args: ["--env-file", "reverb.env"] });
      try {
        assert.match(await firstFrame(server.port, "file-key"), ESTABLISHED);
        assert.match(await firstFrame(server.port, "cwd-key"), /"code\\":4001/);
      } finally {
        await server.stop();
      }
    });

    it("prints the banner, then on SIGTERM sends every client 4200 and close 4200 and exits 0", async () => {
      const server = await startServer(runtime, { args: ["--config", writeConfig()] });
      const port = server.port;
      assert.match(server.output(), new RegExp(`^Starting server on 127\\.0\\.0\\.1:${port}$`, "m"));
      const idle = await connect(`ws://127.0.0.1:${port}/app/reverb-key`);
      const subscribed = await connect(`ws://127.0.0.1:${port}/app/reverb-key`);
      try {
        for (const client of [idle, subscribed]) assert.match((await client.next()).raw, ESTABLISHED);
        subscribed.send({ event: "pusher:subscribe", data: { channel: "shutdown-test" } });
        assert.equal((await subscribed.next()).event, "pusher_internal:subscription_succeeded");

        const started = Date.now();
        const exited = server.stop("SIGTERM");
        for (const client of [idle, subscribed]) {
          assert.equal((await client.next(5000)).raw, SHUTTING_DOWN);
          assert.equal((await client.closed).code, 4200);
        }
        const { code, signal } = await exited;
        assert.ok(Date.now() - started < 10_000, "exits within 10 s");
        // npm re-raises a signal it received on itself once the script exited, so `npm start` reports
        // SIGTERM even when the server exited 0; bun and deno pass the server's exit code through.
        const clean = code === 0 || (runtime === "node" && code === null && signal === "SIGTERM");
        assert.ok(clean, `clean exit, got code ${code} signal ${signal}`);
        const afterBanner = server.output().slice(server.output().indexOf("Starting server on"));
        assert.match(afterBanner, /Gracefully terminating connections\./);
        assert.doesNotMatch(afterBanner, /Error|at \S+ \(/, "nothing went wrong while shutting down");
      } finally {
        await Promise.all([idle.close(), subscribed.close()]);
        await server.stop("SIGKILL");
      }
    });

    it("tells a client that connects while shutdown waits for closing handshakes to reconnect elsewhere (4200); exits within 6 s", async () => {
      const server = await startServer(runtime, { args: ["--config", writeConfig()] });
      const port = server.port;
      // Clients that upgrade and then never read or answer the close (one refused at once: an unknown key).
      const mutes = await Promise.all(["reverb-key", "no-such-key"].map(async (key) => {
        const mute = tcpConnect(port, "127.0.0.1");
        mute.on("error", () => {});
        await new Promise((done) => mute.once("connect", done));
        mute.write(`GET /app/${key} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${randomBytes(16).toString("base64")}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
        return mute;
      }));
      const early = await connect(`ws://127.0.0.1:${port}/app/reverb-key`);
      try {
        assert.match((await early.next()).raw, ESTABLISHED);
        for (const mute of mutes) mute.pause();
        const stoppedAt = Date.now();
        const exited = server.stop("SIGTERM");
        assert.equal((await early.next(5000)).raw, SHUTTING_DOWN);
        // pusher-js reconnects at once. Node and Bun have stopped listening by now; Deno.serve still accepts.
        let late;
        try {
          late = await connect(`ws://127.0.0.1:${port}/app/reverb-key`);
        } catch {
          late = undefined; // refused: the client tries again elsewhere
        }
        if (late) {
          assert.equal((await late.next(5000)).raw, SHUTTING_DOWN, "never connection_established while shutting down");
          assert.equal((await late.closed).code, 4200);
        }
        await exited;
        // The mute clients get 3 s to answer the close, then their sockets are dropped (Node's ws would wait 30 s).
        // npm exits at once on SIGTERM: the server is gone when its whole process group is.
        const groupAlive = () => {
          try {
            process.kill(-server.process.pid!, 0);
            return true;
          } catch {
            return false;
          }
        };
        while (groupAlive() && Date.now() - stoppedAt < 15_000) await new Promise((done) => setTimeout(done, 50));
        assert.ok(Date.now() - stoppedAt < 6_000, `exited ${Date.now() - stoppedAt} ms after SIGTERM`);
      } finally {
        for (const mute of mutes) mute.destroy();
        await early.close();
        await server.stop("SIGKILL");
      }
    });

    it("once SIGTERM arrived, answers publishes and /up with 503 until it exits, never a 200 for an event nobody gets", async () => {
      const receiver = await startWebhookReceiver();
      receiver.fail(1_000, "hang"); // webhooks still being delivered keep the process up a few seconds after SIGTERM
      const entry = { app_id: "630001", key: "stop-key", secret: "stop-secret", webhooks: [{ url: receiver.url, event_types: ["channel_occupied"] }] };
      const app = { id: entry.app_id, key: entry.key, secret: entry.secret } as App;
      const server = await startServer(runtime, { args: ["--config", writeConfig([entry])] });
      const base = `http://127.0.0.1:${server.port}`;
      const publish = async (seq: number): Promise<number | "refused"> => {
        const path = `/apps/${app.id}/events`;
        const body = JSON.stringify({ name: "tick", channel: "news", data: JSON.stringify({ seq }) });
        try {
          const response = await fetch(`${base}${path}?${signQuery(app, "POST", path, body, Date.now())}`, {
            method: "POST", body, headers: { "content-type": "application/json" },
          });
          await response.text();
          return response.status;
        } catch {
          return "refused"; // the listener is closed: the publisher tries again elsewhere
        }
      };
      const subscriber = await connect(`ws://127.0.0.1:${server.port}/app/${app.key}`);
      try {
        assert.match((await subscriber.next()).raw, ESTABLISHED);
        subscriber.send({ event: "pusher:subscribe", data: { channel: "news" } });
        assert.equal((await subscriber.next()).event, "pusher_internal:subscription_succeeded");
        assert.equal(await publish(0), 200);
        assert.equal((await subscriber.next()).event, "tick");

        const exited = server.stop("SIGTERM");
        assert.equal((await subscriber.next(5000)).raw, SHUTTING_DOWN);
        const answers: Array<number | "refused"> = [];
        for (let seq = 1; seq <= 40 && answers.at(-1) !== "refused"; seq++) answers.push(await publish(seq));
        let up: number | "refused" = "refused";
        try {
          up = (await fetch(`${base}/up`)).status;
        } catch {
          // refused: as good as a 503 for a load balancer
        }
        assert.ok(answers.every((status) => status === 503 || status === "refused"), `answers after SIGTERM: ${answers.join(",")}`);
        assert.ok(up === 503 || up === "refused", `/up after SIGTERM: ${up}`);
        await exited;
      } finally {
        await subscriber.close();
        await server.stop("SIGKILL");
        await receiver.close();
      }
    });
  });
}

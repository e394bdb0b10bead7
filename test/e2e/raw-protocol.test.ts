/** @module Exact frames and close codes over a raw WebSocket against the real server, and hostile input it must survive. */

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { request as httpRequest } from "node:http";
import { after, before, describe, it } from "node:test";
import { type AppEntry, type E2eServer, startE2eServer } from "../support/e2e-server.ts";
import { APP_A, APP_B, APP_C } from "../support/fixtures.ts";
import { RUNTIMES } from "../support/spawn.ts";
import { connect, type ConnectOptions, type RawClient } from "../support/ws-client.ts";

const error = (code: number, message: string) =>
  JSON.stringify({ event: "pusher:error", data: JSON.stringify({ code, message }) });
const INVALID_MESSAGE = error(4200, "Invalid message format");
const PONG = '{"event":"pusher:pong"}';
const ESTABLISHED = /^\{"event":"pusher:connection_established","data":"\{\\"socket_id\\":\\"\d+\.\d+\\",\\"activity_timeout\\":30\}"\}$/;

/** Client events switched off. */
const SILENT: AppEntry = { app_id: "700001", key: "silent-key", secret: "silent-secret", accept_client_events_from: "none" };
/** Three messages per minute, then the connection is closed. */
const LIMITED: AppEntry = {
  app_id: "700002",
  key: "limited-key",
  secret: "limited-secret",
  rate_limiting: { enabled: true, max_attempts: 3, decay_seconds: 60, terminate_on_limit: true },
};

let counter = 0;
const unique = (prefix = "") => `${prefix}raw-${++counter}-${randomBytes(3).toString("hex")}`;

for (const runtime of RUNTIMES) {
  describe(runtime, () => {
    let e2e: E2eServer;
    before(async () => {
      e2e = await startE2eServer(runtime, [SILENT, LIMITED]);
    });
    after(async () => {
      await e2e?.stop();
    });

    /** A client of `key` that has received its connection_established. */
    const open = async (key = APP_A.key, options: ConnectOptions = {}): Promise<RawClient> => {
      const client = await connect(e2e.wsUrl(key), options);
      assert.match((await client.next()).raw, ESTABLISHED);
      return client;
    };
    /** Runs `body` with fresh clients and always closes them. */
    const using = async (clients: RawClient[], body: () => Promise<void>) => {
      try {
        await body();
      } finally {
        await Promise.all(clients.map((client) => client.close()));
      }
    };
    /** The server still serves HTTP and new WebSocket clients. */
    const assertAlive = async () => {
      const up = await fetch(e2e.httpUrl("/up"));
      assert.equal(up.status, 200);
      assert.equal(up.headers.get("content-length"), "15");
      assert.deepEqual(await up.json(), { health: "OK" });
      const fresh = await open();
      await using([fresh], async () => {
        fresh.send({ event: "pusher:ping" });
        assert.equal((await fresh.next()).raw, PONG);
      });
    };

    it("opens with connection_established (socket_id, activity_timeout 30) and the X-Powered-By header", async () => {
      const client = await connect(e2e.wsUrl(APP_A.key));
      await using([client], async () => {
        const established = await client.next();
        assert.match(established.raw, ESTABLISHED);
        assert.equal(client.upgradeHeaders["x-powered-by"], "Laravel Reverb");
      });
    });

    it("answers pusher:ping with exactly {\"event\":\"pusher:pong\"}", async () => {
      const client = await open();
      await using([client], async () => {
        client.send({ event: "pusher:ping", data: {} });
        assert.equal((await client.next()).raw, PONG);
      });
    });

    it("subscribes with the exact subscription_succeeded frame and unsubscribes silently", async () => {
      const client = await open();
      await using([client], async () => {
        const channel = unique();
        client.send({ event: "pusher:subscribe", data: { channel } });
        assert.equal((await client.next()).raw, `{"event":"pusher_internal:subscription_succeeded","data":"{}","channel":"${channel}"}`);
        client.send({ event: "pusher:unsubscribe", data: { channel } });
        assert.equal(await client.silentFor(200), true);
      });
    });

    it("refuses an unknown app key: exact 4001 frame, then close 4001", async () => {
      const client = await connect(e2e.wsUrl("no-such-key"));
      await using([client], async () => {
        assert.equal((await client.next()).raw, error(4001, "Application does not exist"));
        assert.equal((await client.closed).code, 4001);
      });
    });

    it("refuses a connection over app B's max_connections: 4004 frame, then close 4004", async () => {
      const first = await open(APP_B.key);
      const second = await connect(e2e.wsUrl(APP_B.key));
      await using([first, second], async () => {
        assert.equal((await second.next()).raw, error(4004, "Application is over connection quota"));
        assert.equal((await second.closed).code, 4004);
        first.send({ event: "pusher:ping" });
        assert.equal((await first.next()).raw, PONG, "the first connection is unaffected");
      });
    });

    it("refuses app C from a foreign or missing origin (4009 frame + close 4009) and accepts http://laravel.com", async () => {
      for (const origin of ["http://localhost", "http://sub.laravel.com", undefined]) {
        const client = await connect(e2e.wsUrl(APP_C.key), origin === undefined ? {} : { origin });
        await using([client], async () => {
          assert.equal((await client.next()).raw, error(4009, "Origin not allowed"), String(origin));
          assert.equal((await client.closed).code, 4009, String(origin));
        });
      }
      const allowed = await open(APP_C.key, { origin: "http://laravel.com" });
      await allowed.close();
    });

    it("closes app C (max_message_size 1) on any message with 1009 Maximum message size exceeded", async () => {
      const client = await open(APP_C.key, { origin: "http://laravel.com" });
      await using([client], async () => {
        client.send({ event: "pusher:ping" });
        assert.deepEqual(await client.closed, { code: 1009, reason: "Maximum message size exceeded" });
      });
    });

    it("accepts a message of exactly 10 000 bytes on app A and closes with 1009 at 10 001", async () => {
      const message = (size: number) => {
        const head = '{"event":"pusher:ping","data":{"pad":"';
        const tail = '"}}';
        return head + "x".repeat(size - head.length - tail.length) + tail;
      };
      const client = await open();
      await using([client], async () => {
        assert.equal(Buffer.byteLength(message(10_000)), 10_000);
        client.send(message(10_000));
        assert.equal((await client.next()).raw, PONG);
        client.send(message(10_001));
        assert.deepEqual(await client.closed, { code: 1009, reason: "Maximum message size exceeded" });
      });
      await assertAlive();
    });

    it("answers non-JSON text with the exact 4200 frame and stays open", async () => {
      const client = await open();
      await using([client], async () => {
        client.send("Hi");
        assert.equal((await client.next()).raw, INVALID_MESSAGE);
        client.send({ event: "pusher:ping" });
        assert.equal((await client.next()).raw, PONG);
      });
    });

    it("answers invalid channel names with 4300 and accepts 164 allowed characters", async () => {
      const client = await open();
      await using([client], async () => {
        const refusal = error(4300, "Invalid channel name: use 1-164 characters of A-Z a-z 0-9 _ - = @ , . ;");
        for (const channel of ["", "has space", "emoji-😀", "slash/name", "x".repeat(165), "#server-to-user-", "#server-to-user-a b", "#other"]) {
          client.send({ event: "pusher:subscribe", data: { channel } });
          assert.equal((await client.next()).raw, refusal, JSON.stringify(channel));
        }
        // A user's own channel is well-formed, but only that signed-in user's sockets may join it.
        client.send({ event: "pusher:subscribe", data: { channel: "#server-to-user-1x" } });
        assert.equal((await client.next()).raw, error(4009, "Connection is unauthorized"));
        const longest = "a-Z_0=9@,.;".repeat(14).slice(0, 164);
        client.send({ event: "pusher:subscribe", data: { channel: longest } });
        assert.equal((await client.next()).raw, `{"event":"pusher_internal:subscription_succeeded","data":"{}","channel":"${longest}"}`);
      });
    });

    it("refuses client events on an app with accept_client_events_from none (exact 4301)", async () => {
      const client = await open(SILENT.key);
      await using([client], async () => {
        client.send({ event: "client-typing", channel: unique("private-"), data: {} });
        assert.equal((await client.next()).raw, error(4301, "The app does not have client messaging enabled."));
      });
    });

    it("rate-limits with terminate_on_limit: three messages served, then 4301 frame and close 4301", async () => {
      const client = await open(LIMITED.key);
      await using([client], async () => {
        for (let i = 0; i < 4; i++) client.send({ event: "pusher:ping" });
        for (let i = 0; i < 3; i++) assert.equal((await client.next()).raw, PONG);
        assert.equal((await client.next()).raw, error(4301, "Rate limit exceeded"));
        assert.equal((await client.closed).code, 4301);
      });
    });

    it("rate-limits a client that goes on sending past the limit: still the 4301 frame, then close 4301 (no reset)", async () => {
      for (let attempt = 0; attempt < 3; attempt++) {
        const client = await open(LIMITED.key);
        await using([client], async () => {
          for (let i = 0; i < 40; i++) client.send({ event: "pusher:ping" }); // 37 past the limit, in one burst
          for (let i = 0; i < 3; i++) assert.equal((await client.next()).raw, PONG);
          assert.equal((await client.next()).raw, error(4301, "Rate limit exceeded"));
          assert.deepEqual(await client.closed, { code: 4301, reason: "Rate limit exceeded" });
        });
      }
    });

    it("answers a ping control frame with a pong frame carrying the same payload", async () => {
      const client = await open();
      await using([client], async () => {
        const payload = await client.ping("are-you-there");
        assert.equal(payload.toString(), "are-you-there");
        assert.equal(await client.silentFor(100), true, "no text frame in reply to a control frame");
      });
    });

    it("survives hostile input: binary garbage, deep nesting, huge numbers, invalid UTF-8, bursts", async () => {
      const client = await open();
      await using([client], async () => {
        client.sendBinary(randomBytes(512));
        assert.equal((await client.next()).raw, INVALID_MESSAGE, "binary garbage");

        client.send("[".repeat(5000) + "]".repeat(5000));
        assert.equal((await client.next()).raw, INVALID_MESSAGE, "5 000 nested arrays");
        client.send('{"event":"pusher:ping","data":' + "[".repeat(4900) + "]".repeat(4900) + "}");
        assert.equal((await client.next()).raw, PONG, "4 900 nested arrays as ping data");

        client.send('{"event":"pusher:subscribe","data":{"channel":1e999}}');
        assert.equal((await client.next()).raw, INVALID_MESSAGE, "channel 1e999");
        client.send('{"event":"pusher:ping","data":{"n":123456789012345678901234567890e300}}');
        assert.equal((await client.next()).raw, PONG, "huge number in data");

        client.sendBinary(Buffer.from([0x7b, 0xff, 0xfe, 0xc3, 0x28, 0x7d]));
        assert.equal((await client.next()).raw, INVALID_MESSAGE, "invalid UTF-8 in a binary frame");

        for (let i = 0; i < 200; i++) client.send({ event: "pusher:ping" });
        for (let i = 0; i < 200; i++) assert.equal((await client.next()).raw, PONG, `burst reply ${i}`);
      });
      await assertAlive();
    });

    it("closes with 1007 on invalid UTF-8 in a text frame and keeps serving others", async () => {
      const client = await open();
      await using([client], async () => {
        client.socket.send(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { binary: false });
        // Deno drops such a connection without a close frame (README, "Differences between runtimes").
        assert.equal((await client.closed).code, runtime === "deno" ? 1006 : 1007);
      });
      await assertAlive();
    });

    it("answers GET /app/{key} without Upgrade with 426 and a JSON error", async () => {
      const response = await fetch(e2e.httpUrl(`/app/${APP_A.key}`));
      assert.equal(response.status, 426);
      assert.match(response.headers.get("content-type") ?? "", /^application\/json/);
      const body = (await response.json()) as { error?: unknown };
      assert.equal(typeof body.error, "string");
    });

    it("answers 413 JSON to an API request over max_request_size, with a declared length or chunked", async () => {
      const path = `/apps/${APP_A.id}/events`;
      const body = (size: number) => JSON.stringify({ name: "big", channel: "news", data: "x".repeat(size) });
      const declared = await fetch(e2e.httpUrl(path), { method: "POST", body: body(10_100), headers: { "content-type": "application/json" } });
      assert.equal(declared.status, 413);
      assert.match(((await declared.json()) as { error: string }).error, /max_request_size/);
      /** POSTs `text` in 1,000-byte chunks with Transfer-Encoding: chunked (no Content-Length). */
      const chunked = (text: string) => new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = httpRequest(e2e.httpUrl(path), { method: "POST", headers: { "content-type": "application/json" } }, (res) => {
          let received = "";
          res.on("data", (chunk: Buffer) => (received += chunk));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, body: received }));
        });
        req.on("error", reject);
        for (let i = 0; i < text.length; i += 1000) req.write(text.slice(i, i + 1000));
        req.end();
      });
      const over = await chunked(body(10_100));
      assert.equal(over.status, 413, over.body);
      assert.match(over.body, /max_request_size/);
      const under = await chunked(body(8_000));
      assert.equal(under.status, 401, "read whole and then refused for its missing signature");
      await assertAlive();
    });

    describe("with --path ws", () => {
      let prefixed: E2eServer;
      before(async () => {
        prefixed = await startE2eServer(runtime, [], ["--path", "ws"]);
      });
      after(async () => {
        await prefixed?.stop();
      });

      it("serves /ws/app/{key} and /ws/up, and nothing without the prefix", async () => {
        const client = await connect(prefixed.wsUrl(APP_A.key, "/ws"));
        await using([client], async () => {
          assert.match((await client.next()).raw, ESTABLISHED);
        });
        const up = await fetch(prefixed.httpUrl("/ws/up"));
        assert.deepEqual([up.status, await up.json()], [200, { health: "OK" }]);
        assert.equal((await fetch(prefixed.httpUrl("/up"))).status, 404);
        await assert.rejects(connect(prefixed.wsUrl(APP_A.key)), { status: 404 });
      });
    });
  });
}

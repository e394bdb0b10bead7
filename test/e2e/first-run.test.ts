/** @module A newcomer's first run: no configuration at all starts a usable development app, kept across restarts. */

import assert from "node:assert/strict";
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { serverSdk } from "../support/e2e-server.ts";
import { freePort, RUNTIMES, runCli, startServer, tempDir } from "../support/spawn.ts";
import { connect } from "../support/ws-client.ts";

/** The credentials the banner tells the user to paste into Laravel's .env. */
function pastedCredentials(output: string) {
  const value = (name: string) => new RegExp(`^  ${name}=(.*)$`, "m").exec(output)?.[1];
  return { id: value("REVERB_APP_ID"), key: value("REVERB_APP_KEY"), secret: value("REVERB_APP_SECRET"), port: value("REVERB_PORT") };
}

for (const runtime of RUNTIMES) {
  describe(`${runtime}: first run`, () => {
    it("starts with no configuration, says it is a development app, and the printed credentials work", async () => {
      const cwd = tempDir();
      const server = await startServer(runtime, { cwd });
      try {
        const output = await server.waitFor(/VITE_REVERB_SCHEME=.*\n/);
        assert.ok(output);
        const banner = server.output();
        assert.match(banner, /No app is configured, so this is a development app \(new credentials saved in .*development-app\.json\)/);
        const credentials = pastedCredentials(banner);
        assert.match(credentials.id ?? "", /^\d{6}$/);
        assert.match(credentials.key ?? "", /^[a-z0-9]{20}$/);
        assert.match(credentials.secret ?? "", /^[a-z0-9]{20}$/);
        assert.equal(credentials.port, String(server.port));
        const client = await connect(`ws://127.0.0.1:${server.port}/app/${credentials.key}`);
        try {
          assert.match((await client.next()).raw, /pusher:connection_established/);
        } finally {
          await client.close();
        }
        const sdk = serverSdk(server.port, { appId: credentials.id!, key: credentials.key!, secret: credentials.secret! });
        assert.deepEqual(await (await sdk.get({ path: "/connections" })).json(), { connections: 0 });
      } finally {
        await server.stop();
      }
    });

    it("keeps the same development credentials across restarts", async () => {
      const cwd = tempDir();
      const env = { XDG_CONFIG_HOME: join(cwd, "config") };
      const first = await startServer(runtime, { cwd, env });
      await first.waitFor(/VITE_REVERB_SCHEME/);
      await first.stop();
      const second = await startServer(runtime, { cwd, env });
      try {
        await second.waitFor(/VITE_REVERB_SCHEME/);
        assert.match(second.output(), /credentials kept in /);
        const before = pastedCredentials(first.output());
        const after = pastedCredentials(second.output());
        assert.deepEqual([after.id, after.key, after.secret], [before.id, before.key, before.secret]);
      } finally {
        await second.stop();
      }
    });

    it("replaces a corrupt credentials file that others could read with a new one only the owner can read", async () => {
      const cwd = tempDir();
      const dir = join(cwd, "config", "resound");
      mkdirSync(dir, { recursive: true });
      const file = join(dir, "development-app.json");
      writeFileSync(file, "{ not json");
      chmodSync(file, 0o644);
      const server = await startServer(runtime, { cwd, env: { XDG_CONFIG_HOME: join(cwd, "config") } });
      try {
        await server.waitFor(/VITE_REVERB_SCHEME/);
        assert.equal(statSync(file).mode & 0o777, 0o600);
        const saved = JSON.parse(readFileSync(file, "utf8")) as { secret: string };
        assert.equal(saved.secret, pastedCredentials(server.output()).secret);
      } finally {
        await server.stop();
      }
    });

    it("never prints a configured app's secret in the banner (only the generated one's)", async () => {
      const server = await startServer(runtime, {
        cwd: tempDir(),
        env: { REVERB_APP_ID: "4242", REVERB_APP_KEY: "configured-key", REVERB_APP_SECRET: "configured-secret-value" },
      });
      try {
        await server.waitFor(/VITE_REVERB_SCHEME/);
        assert.doesNotMatch(server.output(), /configured-secret-value/);
        assert.match(server.output(), /REVERB_APP_SECRET=\(your app's secret; not printed\)/);
      } finally {
        await server.stop();
      }
    });

    it("prints nothing at startup with --quiet, and still serves", async () => {
      const port = await freePort();
      const run = runCli(runtime, ["--quiet", "--host", "127.0.0.1", "--port", String(port)], { cwd: tempDir() });
      try {
        const deadline = Date.now() + 20_000;
        let body = "";
        while (Date.now() < deadline && body === "") {
          body = await fetch(`http://127.0.0.1:${port}/up`).then((response) => response.text(), () => "");
          if (body === "") await new Promise((resolve) => setTimeout(resolve, 100));
        }
        assert.equal(body, '{"health":"OK"}');
        assert.equal(run.output(), "");
      } finally {
        await run.stop();
      }
    });
  });
}

/** @module The startup banner: Reverb's exact "Starting [secure ]server on host:port[path][ (hostname)]" line (§7.1) and our summary. */

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { banner } from "../../src/cli/banner.ts";
import type { Host } from "../../src/cli/host.ts";
import { DEFAULT_APP, DEFAULT_SERVER, type ServerSettings } from "../../src/config/config.ts";
import type { LoadedConfig } from "../../src/config/load-config.ts";
import { VERSION } from "../../src/version.ts";
import { APP_A, APP_B } from "../support/fixtures.ts";

interface Options {
  server?: Partial<ServerSettings>;
  port?: number;
  secure?: boolean;
  tlsNote?: string;
  cluster?: string;
  production?: boolean;
  development?: string;
  runtime?: Host["runtime"];
  debug?: boolean;
  envFile?: string;
  configFile?: string;
}

/** The banner lines for a config built from defaults plus `options`. */
function render(options: Options = {}): string[] {
  const server = { ...DEFAULT_SERVER, ...options.server };
  const config: LoadedConfig = {
    server,
    apps: [APP_A, APP_B],
    debug: options.debug ?? false,
    envFile: options.envFile,
    configFile: options.configFile,
    env: {},
    production: options.production ?? false,
    developmentSettings: DEFAULT_APP,
  };
  // banner() only reads the runtime from the host.
  const host = { runtime: options.runtime ?? { name: "node", version: "v22.11.0" } } as Host;
  const material = options.secure ? { cert: "", key: "", certFile: "c.crt", keyFile: "c.key", verifyPeer: false } : null;
  const tls = { material, note: options.tlsNote };
  return banner({ host, config, port: options.port ?? server.port, tls, cluster: options.cluster, development: options.development }).split("\n");
}

/** The line Reverb prints. */
function startingLine(options: Options = {}): string {
  const line = render(options).find((l) => l.startsWith("Starting "));
  assert.ok(line, "a Starting line is printed");
  return line;
}

describe("banner: Reverb's Starting line", () => {
  it("defaults print exactly `Starting server on 0.0.0.0:8080`", () => {
    assert.equal(startingLine(), "Starting server on 0.0.0.0:8080");
  });

  it("says `secure ` when TLS is in use", () => {
    assert.equal(startingLine({ secure: true }), "Starting secure server on 0.0.0.0:8080");
  });

  it("explains the TLS choice (e.g. no Herd or Valet certificate) on its own line", () => {
    const lines = render({ tlsNote: "no certificate for laravel.test in /h or /v; serving plain ws" });
    assert.ok(lines.includes("  TLS        no certificate for laravel.test in /h or /v; serving plain ws"));
    assert.ok(!render().some((line) => line.startsWith("  TLS")));
  });

  it("uses the bound port (e.g. when 0 was asked for)", () => {
    assert.equal(startingLine({ server: { port: 0 }, port: 43_210 }), "Starting server on 0.0.0.0:43210");
  });

  it("shows the configured host", () => {
    assert.equal(startingLine({ server: { host: "127.0.0.1", port: 9000 } }), "Starting server on 127.0.0.1:9000");
  });

  it("appends the path prefix right after the port", () => {
    assert.equal(startingLine({ server: { path: "/ws" } }), "Starting server on 0.0.0.0:8080/ws");
  });

  it("appends ` (hostname)` when a hostname is set", () => {
    assert.equal(startingLine({ server: { hostname: "ws.example.com" } }), "Starting server on 0.0.0.0:8080 (ws.example.com)");
  });

  it("omits the hostname when it equals the host", () => {
    assert.equal(startingLine({ server: { host: "localhost", hostname: "localhost" } }), "Starting server on localhost:8080");
  });

  it("combines secure, path and hostname in Reverb's order", () => {
    assert.equal(
      startingLine({ secure: true, server: { host: "127.0.0.1", port: 8443, path: "/ws", hostname: "reverb.test" } }),
      "Starting secure server on 127.0.0.1:8443/ws (reverb.test)",
    );
  });
});

describe("banner: summary", () => {
  it("first names the product version and the runtime", () => {
    assert.equal(render()[0], `Resound ${VERSION} on Node v22.11.0`);
    assert.equal(render({ runtime: { name: "bun", version: "1.2.3" } })[0], `Resound ${VERSION} on Bun 1.2.3`);
    assert.equal(render({ runtime: { name: "deno", version: "2.1.0" } })[0], `Resound ${VERSION} on Deno 2.1.0`);
  });

  it("the product version matches package.json", () => {
    const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
    assert.equal(VERSION, pkg.version);
  });

  it("lists every app id with its key", () => {
    const apps = render().find((line) => line.trimStart().startsWith("Apps"));
    assert.equal(apps, "  Apps       123456 (key reverb-key), 654321 (key reverb-key-2)");
  });

  it("shows where to connect: localhost for a wildcard bind, ws/http or wss/https", () => {
    const plain = render();
    assert.ok(plain.includes("  WebSocket  ws://localhost:8080/app/{key}"), plain.join("\n"));
    assert.ok(plain.includes("  HTTP API   http://localhost:8080/apps/{app id}"), plain.join("\n"));
    const secure = render({ secure: true, server: { hostname: "reverb.test", path: "/ws" }, port: 8443 });
    assert.ok(secure.includes("  WebSocket  wss://reverb.test:8443/ws/app/{key}"), secure.join("\n"));
    assert.ok(secure.includes("  HTTP API   https://reverb.test:8443/ws/apps/{app id}"), secure.join("\n"));
  });

  it("reports scaling and debug state", () => {
    const off = render();
    assert.ok(off.includes("  Scaling    off"));
    assert.ok(off.includes("  Debug      off"));
    const cluster = 'channel "fanout" on Redis at redis://127.0.0.1:6379, node 0a1b2c';
    const on = render({ debug: true, server: { scalingEnabled: true, scalingChannel: "fanout" }, cluster });
    assert.ok(on.includes(`  Scaling    on (${cluster})`));
    assert.ok(on.includes("  Debug      on"));
  });

  it("names the .env and config files only when used", () => {
    assert.equal(render().some((line) => line.startsWith("  .env ") || line.startsWith("  Config ")), false);
    const used = render({ envFile: "/site/.env", configFile: "/site/reverb.json" });
    assert.ok(used.includes("  .env       /site/.env"));
    assert.ok(used.includes("  Config     /site/reverb.json"));
  });

  it("prints no configured app's secret, in production or not (banners end up in logs)", () => {
    for (const production of [false, true]) {
      const text = render({ production }).join("\n");
      assert.ok(!text.includes(APP_A.secret) && !text.includes(APP_B.secret), text);
      assert.ok(text.includes("  REVERB_APP_SECRET=(your app's secret; not printed)"));
    }
  });

  it("prints the generated development app's secret, which is there to be pasted", () => {
    const text = render({ development: "new credentials saved in /home/me/.config/resound/development-app.json" }).join("\n");
    assert.ok(text.includes(`  REVERB_APP_SECRET=${APP_A.secret}`));
  });
});

describe("banner: Laravel .env lines", () => {
  it("prints paste-ready lines for the first app, pointing at this server", () => {
    const lines = render({ server: { host: "0.0.0.0", port: 8080 } });
    const start = lines.indexOf("Laravel .env for app 123456:");
    assert.ok(start > 0, lines.join("\n"));
    assert.deepEqual(lines.slice(start + 1), [
      "  BROADCAST_CONNECTION=reverb",
      "  REVERB_APP_ID=123456",
      "  REVERB_APP_KEY=reverb-key",
      "  REVERB_APP_SECRET=(your app's secret; not printed)",
      "  REVERB_HOST=localhost",
      "  REVERB_PORT=8080",
      "  REVERB_SCHEME=http",
      '  VITE_REVERB_APP_KEY="${REVERB_APP_KEY}"',
      '  VITE_REVERB_HOST="${REVERB_HOST}"',
      '  VITE_REVERB_PORT="${REVERB_PORT}"',
      '  VITE_REVERB_SCHEME="${REVERB_SCHEME}"',
    ]);
  });

  it("uses the hostname, https and the path when they apply, and never prints the secret in production", () => {
    const lines = render({ secure: true, production: true, server: { hostname: "https://laravel.test", path: "/ws" }, port: 8443 });
    assert.ok(lines.includes("  REVERB_HOST=laravel.test"));
    assert.ok(lines.includes("  REVERB_SCHEME=https"));
    assert.ok(lines.includes("  REVERB_PORT=8443"));
    assert.ok(lines.includes("  REVERB_SERVER_PATH=/ws"));
    assert.ok(lines.includes("  WebSocket  wss://laravel.test:8443/ws/app/{key}"), lines.join("\n"));
    assert.ok(!lines.join("\n").includes("reverb-secret"));
  });

  it("keeps the port and scheme clients already use (REVERB_PORT, REVERB_SCHEME behind a proxy)", () => {
    const lines = render({ server: { hostname: "ws.example.com", clientPort: 443, clientScheme: "https" }, port: 23014 });
    assert.ok(lines.includes("  REVERB_HOST=ws.example.com"));
    assert.ok(lines.includes("  REVERB_PORT=443"), lines.join("\n"));
    assert.ok(lines.includes("  REVERB_SCHEME=https"));
    assert.ok(lines.includes("  WebSocket  ws://ws.example.com:23014/app/{key}"), "where this server itself listens");
  });

  it("brackets an IPv6 address in the Starting line, the URLs and REVERB_HOST", () => {
    const lines = render({ server: { host: "::1" }, port: 30847 });
    assert.ok(lines.includes("Starting server on [::1]:30847"), lines.join("\n"));
    assert.ok(lines.includes("  WebSocket  ws://[::1]:30847/app/{key}"));
    assert.ok(lines.includes("  REVERB_HOST=[::1]"));
  });

  it("says when the app is the generated development app", () => {
    const lines = render({ development: "credentials kept in /home/me/.config/resound/development-app.json" });
    assert.ok(lines.includes("No app is configured, so this is a development app (credentials kept in /home/me/.config/resound/development-app.json)."));
  });
});


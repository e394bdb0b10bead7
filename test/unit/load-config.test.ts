/** @module loadConfig: flags > --config file > environment (real env over .env) > defaults, file lookup and startup error messages. */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Flags } from "../../src/cli/args.ts";
import { ConfigError } from "../../src/config/fields.ts";
import { loadConfig } from "../../src/config/load-config.ts";

const CWD = "/home/me/site";
const CREDENTIALS = { REVERB_APP_ID: "123456", REVERB_APP_KEY: "reverb-key", REVERB_APP_SECRET: "reverb-secret" };
const FILE_APP = { app_id: "900", key: "file-key", secret: "file-secret" };

interface Setup {
  flags?: Flags;
  env?: Record<string, string>;
  files?: Record<string, string>;
  cwd?: string;
}

/** loadConfig over an in-memory file system; records every path read. */
function load({ flags = {}, env = {}, files = {}, cwd = CWD }: Setup) {
  const reads: string[] = [];
  const config = loadConfig({
    flags,
    env,
    cwd,
    readTextFile(path) {
      reads.push(path);
      if (path.endsWith("/locked.json") || path.endsWith("/locked.env")) throw new Error("EACCES: permission denied");
      return files[path];
    },
  });
  return { config, reads };
}

/** Asserts that loading fails with exactly this one-line message. */
function assertRejects(setup: Setup, message: string): void {
  assert.throws(() => load(setup), (error: unknown) => {
    assert.ok(error instanceof ConfigError, `expected ConfigError, got ${String(error)}`);
    assert.equal(error.message, message);
    assert.ok(!error.message.includes("\n"), "message is one line");
    return true;
  });
}

describe("loadConfig: precedence", () => {
  const dotenv = `${Object.entries(CREDENTIALS).map(([k, v]) => `${k}=${v}`).join("\n")}
REVERB_SERVER_HOST=10.0.0.1
REVERB_SERVER_PORT=1111
REVERB_SERVER_PATH=dotenv
REVERB_HOST=dotenv.test
REVERB_MAX_REQUEST_SIZE=1111
`;
  const realEnv = {
    REVERB_SERVER_HOST: "10.0.0.2",
    REVERB_SERVER_PORT: "2222",
    REVERB_SERVER_PATH: "real",
    REVERB_HOST: "real.test",
    REVERB_MAX_REQUEST_SIZE: "2222",
  };
  const configJson = JSON.stringify({
    server: { host: "10.0.0.3", port: 3333, path: "file", hostname: "file.test", max_request_size: 3333 },
  });
  const flags = { host: "10.0.0.4", port: "4444", path: "flag", hostname: "flag.test" };
  const files = { [`${CWD}/.env`]: dotenv, [`${CWD}/reverb.json`]: configJson };
  const pick = (setup: Setup) => {
    const { server } = load(setup).config;
    return [server.host, server.port, server.path, server.hostname, server.maxRequestSize];
  };

  it("flags beat the config file, the environment and .env", () => {
    assert.deepEqual(pick({ flags: { ...flags, config: "reverb.json" }, env: realEnv, files }), ["10.0.0.4", 4444, "/flag", "flag.test", 3333]);
  });

  it("the config file beats the environment and .env", () => {
    assert.deepEqual(pick({ flags: { config: "reverb.json" }, env: realEnv, files }), ["10.0.0.3", 3333, "/file", "file.test", 3333]);
  });

  it("real environment variables beat .env", () => {
    assert.deepEqual(pick({ env: realEnv, files }), ["10.0.0.2", 2222, "/real", "real.test", 2222]);
  });

  it(".env beats the defaults", () => {
    assert.deepEqual(pick({ files }), ["10.0.0.1", 1111, "/dotenv", "dotenv.test", 1111]);
  });

  it("defaults apply when no layer sets a key", () => {
    assert.deepEqual(pick({ env: CREDENTIALS }), ["0.0.0.0", 8080, "", null, 10_000]);
  });

  it("apps listed in the config file replace the REVERB_APP_* app", () => {
    const { config } = load({ flags: { config: "reverb.json" }, env: CREDENTIALS, files: { [`${CWD}/reverb.json`]: JSON.stringify({ apps: [FILE_APP] }) } });
    assert.deepEqual(config.apps.map((app) => [app.id, app.key, app.secret]), [["900", "file-key", "file-secret"]]);
  });

  it("apps listed in the config file make REVERB_APP_* irrelevant, even incomplete or invalid ones", () => {
    const files = { [`${CWD}/reverb.json`]: JSON.stringify({ apps: [FILE_APP] }) };
    for (const env of [{ REVERB_APP_ID: "1" }, { ...CREDENTIALS, REVERB_APP_ACCEPT_CLIENT_EVENTS_FROM: "everyone" }]) {
      const { config } = load({ flags: { config: "reverb.json" }, env, files });
      assert.deepEqual(config.apps.map((app) => app.id), ["900"], JSON.stringify(env));
    }
  });

  it("a config file without apps keeps the REVERB_APP_* app", () => {
    const { config } = load({ flags: { config: "reverb.json" }, env: CREDENTIALS, files: { [`${CWD}/reverb.json`]: '{"server":{"port":9000}}' } });
    assert.deepEqual(config.apps.map((app) => app.id), ["123456"]);
    assert.equal(config.server.port, 9000);
  });

  it("the environment as the server sees it has .env values under real variables", () => {
    const { config } = load({ env: { ...CREDENTIALS, SHARED: "real" }, files: { [`${CWD}/.env`]: "SHARED=file\nONLY_FILE=yes\n" } });
    assert.equal(config.env["SHARED"], "real");
    assert.equal(config.env["ONLY_FILE"], "yes");
  });
});

describe("loadConfig: .env lookup", () => {
  it("reads .env from the directory the user started in", () => {
    const { config, reads } = load({ files: { [`${CWD}/.env`]: Object.entries(CREDENTIALS).map(([k, v]) => `${k}=${v}`).join("\n") } });
    assert.deepEqual(reads, [`${CWD}/.env`]);
    assert.equal(config.envFile, `${CWD}/.env`);
    assert.equal(config.apps[0]?.key, "reverb-key");
  });

  it("a missing default .env is fine", () => {
    const { config } = load({ env: CREDENTIALS });
    assert.equal(config.envFile, undefined);
    assert.equal(config.apps.length, 1);
  });

  it("--env-file is read relative to the start directory", () => {
    const { config } = load({ flags: { "env-file": "config/.env.prod" }, files: { [`${CWD}/config/.env.prod`]: "REVERB_APP_ID=1\nREVERB_APP_KEY=k\nREVERB_APP_SECRET=s" } });
    assert.equal(config.envFile, `${CWD}/config/.env.prod`);
    assert.equal(config.apps[0]?.id, "1");
  });

  it("an absolute --env-file is used as is and the default .env is not read", () => {
    const { reads } = load({ flags: { "env-file": "/etc/app.env" }, env: CREDENTIALS, files: { "/etc/app.env": "" } });
    assert.deepEqual(reads, ["/etc/app.env"]);
  });

  it("a missing --env-file is an error", () => {
    assertRejects({ flags: { "env-file": "nope.env" }, env: CREDENTIALS }, `--env-file ${CWD}/nope.env does not exist; pass the path of your Laravel .env file.`);
  });

  it("an unreadable --env-file names the reason", () => {
    assertRejects({ flags: { "env-file": "locked.env" }, env: CREDENTIALS }, `--env-file ${CWD}/locked.env cannot be read: EACCES: permission denied.`);
  });

  it("a .env syntax error names the file and line", () => {
    assertRejects({ env: CREDENTIALS, files: { [`${CWD}/.env`]: "A=1\n\nbroken line\n" } }, `${CWD}/.env line 3: expected NAME=value, found "broken line".`);
  });
});

describe("loadConfig: --config file", () => {
  it("is read relative to the start directory, with TLS paths relative to the file", () => {
    const json = JSON.stringify({ server: { options: { tls: { local_cert: "ws.crt", local_pk: "ws.key" } } }, apps: [FILE_APP] });
    const { config } = load({ flags: { config: "conf/reverb.json" }, files: { [`${CWD}/conf/reverb.json`]: json } });
    assert.equal(config.configFile, `${CWD}/conf/reverb.json`);
    assert.equal(config.server.tls?.cert, `${CWD}/conf/ws.crt`);
    assert.equal(config.server.tls?.key, `${CWD}/conf/ws.key`);
  });

  it("a missing --config file is an error", () => {
    assertRejects({ flags: { config: "nope.json" }, env: CREDENTIALS }, `--config ${CWD}/nope.json does not exist; pass the path of a JSON config file.`);
  });

  it("an unreadable --config file names the reason", () => {
    assertRejects({ flags: { config: "locked.json" }, env: CREDENTIALS }, `--config ${CWD}/locked.json cannot be read: EACCES: permission denied.`);
  });

  it("a JSON syntax error names the line and column", () => {
    const text = '{\n  "server": {\n    "port": 1,\n  }\n}';
    assertRejects(
      { flags: { config: "reverb.json" }, env: CREDENTIALS, files: { [`${CWD}/reverb.json`]: text } },
      `${CWD}/reverb.json is not valid JSON: trailing comma at line 4, column 3.`,
    );
  });

  it("a wrong value names the JSON path and the resolved file", () => {
    assertRejects(
      { flags: { config: "reverb.json" }, files: { [`${CWD}/reverb.json`]: JSON.stringify({ apps: [{ ...FILE_APP, key: "" }] }) } },
      `apps[0].key in ${CWD}/reverb.json is ""; it must be a non-empty string.`,
    );
  });
});

describe("loadConfig: apps", () => {
  it("no app outside production leaves the apps empty (the CLI then makes a development app)", () => {
    const { config } = load({});
    assert.deepEqual(config.apps, []);
    assert.equal(config.production, false);
  });

  it("no app in production (APP_ENV=production, also from .env, or --production) names the three REVERB_APP_* variables", () => {
    const message = 'No app is configured, and in production Resound makes no development app. Set REVERB_APP_ID, REVERB_APP_KEY, REVERB_APP_SECRET (in the environment or .env), or pass --config FILE with an "apps" list.';
    assertRejects({ env: { APP_ENV: "production" } }, message);
    assertRejects({ flags: { production: true } }, message);
    assertRejects({ files: { [`${CWD}/.env`]: "APP_ENV=production\n" } }, message);
  });

  it("no app in production with a config file also points at the file", () => {
    assertRejects(
      { flags: { config: "reverb.json", production: true }, files: { [`${CWD}/reverb.json`]: "{}" } },
      `No app is configured, and in production Resound makes no development app. Set REVERB_APP_ID, REVERB_APP_KEY, REVERB_APP_SECRET (in the environment or .env), or list apps in ${CWD}/reverb.json.`,
    );
  });

  it("two apps with the same app_id are refused (numeric and string ids compare equal)", () => {
    const json = JSON.stringify({ apps: [{ app_id: "9", key: "a", secret: "s" }, { app_id: 9, key: "b", secret: "s" }] });
    assertRejects(
      { flags: { config: "/srv/reverb.json" }, files: { "/srv/reverb.json": json } },
      'Two apps have the app_id "9" in /srv/reverb.json; each app needs its own app_id.',
    );
  });

  it("two apps with the same key are refused", () => {
    const json = JSON.stringify({ apps: [{ app_id: "1", key: "a", secret: "s" }, { app_id: "2", key: "a", secret: "t" }] });
    assertRejects(
      { flags: { config: "/srv/reverb.json" }, files: { "/srv/reverb.json": json } },
      'Two apps have the key "a" in /srv/reverb.json; each app needs its own key.',
    );
  });
});

describe("loadConfig: flags", () => {
  it("--debug turns debug output on; it is off otherwise", () => {
    assert.equal(load({ flags: { debug: true }, env: CREDENTIALS }).config.debug, true);
    assert.equal(load({ env: CREDENTIALS }).config.debug, false);
  });

  it("a bad flag value names the flag", () => {
    assertRejects({ flags: { port: "abc" }, env: CREDENTIALS }, '--port is "abc"; it must be an integer from 1 to 65535.');
    assertRejects({ flags: { port: "0" }, env: CREDENTIALS }, '--port is "0"; it must be an integer from 1 to 65535.');
    assertRejects({ flags: { host: "" }, env: CREDENTIALS }, '--host is ""; it must be a host name or IP address.');
    assertRejects({ flags: { host: "a b" }, env: CREDENTIALS }, '--host is "a b"; it must be a host name or IP address.');
    assertRejects({ flags: { "metrics-host": "-bad" }, env: CREDENTIALS }, '--metrics-host is "-bad"; it must be a host name or IP address.');
  });

  it("host names, IPv4 and IPv6 addresses are accepted; brackets around IPv6 are dropped", () => {
    for (const host of ["localhost", "0.0.0.0", "::", "fe80::1%eth0", "redis_1.internal", "laravel.test."]) {
      assert.equal(load({ flags: { host }, env: CREDENTIALS }).config.server.host, host);
    }
    assert.equal(load({ flags: { "metrics-host": "[::1]" }, env: CREDENTIALS }).config.server.metricsHost, "::1");
  });

  it("--path is normalized like the other sources", () => {
    for (const raw of ["ws", "/ws", "/ws/", " /ws/ "]) {
      assert.equal(load({ flags: { path: raw }, env: CREDENTIALS }).config.server.path, "/ws", raw);
    }
  });
});

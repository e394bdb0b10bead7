/** @module The start command against a fake Host: every listen failure becomes one line and exit 1; signals stop cleanly. */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type Host, ListenError, type Listener } from "../../src/cli/host.ts";
import { main } from "../../src/cli/main.ts";

const APP_ENV = { REVERB_APP_ID: "1", REVERB_APP_KEY: "k", REVERB_APP_SECRET: "s" };

function fakeHost(listen: Host["listen"], env: Record<string, string> = APP_ENV, argv: string[] = []) {
  const out: string[] = [];
  const err: string[] = [];
  const files = new Map<string, string>();
  let exitCode: number | undefined;
  let signal: (() => void) | undefined;
  const host: Host = {
    runtime: { name: "node", version: "test" },
    command: "resound",
    listenHttp: () => Promise.reject(new Error("no metrics in this test")),
    argv,
    env,
    cwd: "/nowhere",
    platform: "linux",
    readTextFile: (path) => files.get(path),
    writeTextFile: (path, text) => void files.set(path, text),
    print: (line) => void out.push(line),
    printError: (line) => void err.push(line),
    listen,
    onShutdownSignal: (handler) => void (signal = handler),
    exit: (code) => void (exitCode = code),
  };
  return { host, out, err, files, exit: () => exitCode, signal: () => signal?.() };
}

describe("main: listen failures", () => {
  const cases: Array<[ListenError["reason"], RegExp]> = [
    ["in-use", /^Error: Port 8080 on 0\.0\.0\.0 is already in use; stop the other server or pick another port with --port or REVERB_SERVER_PORT\.$/],
    ["permission", /^Error: Permission denied listening on 0\.0\.0\.0:8080; ports below 1024 need elevated rights, pick another with --port\.$/],
    ["address", /^Error: Cannot listen on 0\.0\.0\.0:8080: .*; check --host or REVERB_SERVER_HOST\.$/],
    ["unsupported", /^Error: runtime says no\.$/],
  ];
  for (const [reason, expected] of cases) {
    it(`reports "${reason}" in one line and exits 1`, async () => {
      const fake = fakeHost(() => Promise.reject(new ListenError(reason, "runtime says no")));
      await main(fake.host);
      assert.equal(fake.exit(), 1);
      assert.equal(fake.err.length, 1);
      assert.match(fake.err[0]!, expected);
      assert.deepEqual(fake.out, []);
    });
  }
});

describe("main: a host that cannot be listened on, in each runtime's words", () => {
  // What Node, Bun and Deno throw for an unresolvable name or an address not on this machine (Bun and Deno's are
  // not mapped to "address" by their shims).
  const cases: Array<[ListenError, string]> = [
    [new ListenError("address", "getaddrinfo ENOTFOUND nonexistent.invalid"), "the name does not resolve to an address of this machine"],
    [new ListenError("other", "getaddrinfo ENOTFOUND nonexistent.invalid"), "the name does not resolve to an address of this machine"],
    [new ListenError("other", "EINVAL: invalid argument, listen"), "the name does not resolve to an address of this machine"],
    [new ListenError("other", "failed to lookup address information: Name or service not known"), "the name does not resolve to an address of this machine"],
    [new ListenError("address", "listen EADDRNOTAVAIL: address not available 10.255.255.1:8080"), "no network interface of this machine has that address"],
    [new ListenError("address", "Cannot assign requested address (os error 99)"), "no network interface of this machine has that address"],
  ];
  for (const [error, detail] of cases) {
    it(`"${error.message}" (${error.reason}) names the host setting`, async () => {
      const fake = fakeHost(() => Promise.reject(error), { ...APP_ENV, REVERB_SERVER_HOST: "nonexistent.invalid" });
      await main(fake.host);
      assert.equal(fake.exit(), 1);
      assert.deepEqual(fake.err, [`Error: Cannot listen on nonexistent.invalid:8080: ${detail}; check --host or REVERB_SERVER_HOST.`]);
    });
  }
});

describe("main: metrics listen failures name the metrics setting to change", () => {
  const listener: Listener = { port: 8080, close: async () => {} };
  const cases: Array<[ListenError, string]> = [
    [new ListenError("in-use", "EADDRINUSE"), "Cannot serve metrics on 127.0.0.1:9100: the port is already in use; pick another port with --metrics-port or RESOUND_METRICS_PORT."],
    [new ListenError("permission", "EACCES"), "Cannot serve metrics on 127.0.0.1:9100: permission denied; ports below 1024 need elevated rights, pick another with --metrics-port or RESOUND_METRICS_PORT."],
    [new ListenError("address", "getaddrinfo ENOTFOUND metrics.invalid"), "Cannot serve metrics on 127.0.0.1:9100: the name does not resolve to an address of this machine; check --metrics-host, RESOUND_METRICS_HOST or server.metrics.host (127.0.0.1 unless set)."],
    [new ListenError("other", "EINVAL: invalid argument, listen"), "Cannot serve metrics on 127.0.0.1:9100: the name does not resolve to an address of this machine; check --metrics-host, RESOUND_METRICS_HOST or server.metrics.host (127.0.0.1 unless set)."],
    [new ListenError("address", "EADDRNOTAVAIL: address not available, listen"), "Cannot serve metrics on 127.0.0.1:9100: no network interface of this machine has that address; check --metrics-host, RESOUND_METRICS_HOST or server.metrics.host (127.0.0.1 unless set)."],
  ];
  for (const [error, line] of cases) {
    it(`"${error.message}" (${error.reason})`, async () => {
      let closed = false;
      const fake = fakeHost(() => Promise.resolve({ ...listener, close: async () => void (closed = true) }), { ...APP_ENV, RESOUND_METRICS_PORT: "9100" });
      fake.host.listenHttp = () => Promise.reject(error);
      await main(fake.host);
      assert.equal(fake.exit(), 1);
      assert.deepEqual(fake.err, [`Error: ${line}`]);
      assert.equal(closed, true, "the server's own listener is closed again");
    });
  }
});

describe("main: shutdown", () => {
  it("on a signal, closes the listener and exits 0", async () => {
    let closed = false;
    const listener: Listener = { port: 8080, close: async () => void (closed = true) };
    const fake = fakeHost(() => Promise.resolve(listener));
    await main(fake.host);
    assert.equal(fake.exit(), undefined);
    assert.match(fake.out.join("\n"), /Starting server on 0\.0\.0\.0:8080/);
    fake.signal();
    await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(closed, true);
    assert.equal(fake.exit(), 0);
    assert.match(fake.out.join("\n"), /Gracefully terminating connections\./);
  });
});

describe("main: development app", () => {
  it("without any app, saves generated credentials under XDG_CONFIG_HOME and reuses them", async () => {
    const listener: Listener = { port: 8080, close: async () => {} };
    const env = { XDG_CONFIG_HOME: "/cfg" };
    const first = fakeHost(() => Promise.resolve(listener), env);
    await main(first.host);
    const saved = first.files.get("/cfg/resound/development-app.json");
    assert.ok(saved);
    const second = fakeHost(() => Promise.resolve(listener), env);
    second.files.set("/cfg/resound/development-app.json", saved);
    await main(second.host);
    const { key } = JSON.parse(saved) as { key: string };
    assert.ok(second.out.join("\n").includes(`REVERB_APP_KEY=${key}`));
    assert.match(second.out.join("\n"), /credentials kept in \/cfg\/resound\/development-app\.json/);
  });

  it("with --production and no app, refuses in one line", async () => {
    const fake = fakeHost(() => Promise.reject(new Error("must not listen")), {}, ["--production"]);
    await main(fake.host);
    assert.equal(fake.exit(), 1);
    assert.match(fake.err[0]!, /^Error: No app is configured, and in production/);
  });
});

describe("main: scaling", () => {
  it("exits 1 naming the Redis address when Redis cannot be reached", async () => {
    const env = { ...APP_ENV, REVERB_SCALING_ENABLED: "true", REDIS_HOST: "127.0.0.1", REDIS_PORT: "1" };
    const fake = fakeHost(() => Promise.reject(new Error("must not listen")), env);
    await main(fake.host);
    assert.equal(fake.exit(), 1);
    assert.equal(fake.err.length, 1);
    assert.match(fake.err[0]!, /^Error: Cannot connect to Redis at redis:\/\/127\.0\.0\.1:1 for scaling: .*Check REDIS_URL/);
  });
});

/** @module Direct TLS on every runtime: Valet, Herd and config-file certificates, client certificates (verify_peer), plain-ws fallback, certificate errors, pusher-js over wss. */

import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { request, type RequestOptions } from "node:https";
import { connect as tcpConnect } from "node:net";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import WebSocket from "ws";
import { APP_A, fixtureConfigFile } from "../support/fixtures.ts";
import { freePort, ROOT, RUNTIMES, type RunningServer, runToExit, startServer, tempDir } from "../support/spawn.ts";

const HOST = "laravel.test";

/** A CA and a certificate for laravel.test (also valid for 127.0.0.1), made by the project's own `npm run certs`. */
function makeCertificates(): { dir: string; ca: string } {
  const dir = tempDir("resound-certs-");
  execFileSync("bash", [join(ROOT, "certs/make-cert.sh"), HOST], { env: { ...process.env, CERTS_DIR: dir }, stdio: "ignore" });
  execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=other",
    "-keyout", join(dir, "other.key"), "-out", join(dir, "other.crt")], { stdio: "ignore" });
  execFileSync("openssl", ["pkcs8", "-topk8", "-in", join(dir, `${HOST}.key`), "-out", join(dir, "encrypted.key"),
    "-passout", "pass:s3cret"], { stdio: "ignore" });
  // A client certificate signed by the same CA, for verify_peer.
  execFileSync("openssl", ["req", "-new", "-nodes", "-newkey", "rsa:2048", "-subj", "/CN=client",
    "-keyout", join(dir, "client.key"), "-out", join(dir, "client.csr")], { stdio: "ignore" });
  writeFileSync(join(dir, "client.ext"), "extendedKeyUsage=clientAuth\n");
  execFileSync("openssl", ["x509", "-req", "-sha256", "-days", "2", "-in", join(dir, "client.csr"), "-CA", join(dir, "resound-ca.crt"),
    "-CAkey", join(dir, "resound-ca.key"), "-CAcreateserial", "-extfile", join(dir, "client.ext"), "-out", join(dir, "client.crt")], { stdio: "ignore" });
  return { dir, ca: readFileSync(join(dir, "resound-ca.crt"), "utf8") };
}

/** A home directory holding the certificate where Valet or Herd keeps it. */
function homeWith(source: "Valet" | "Herd", certs: string): string {
  const home = tempDir("resound-home-");
  const dir = source === "Valet"
    ? join(home, ".config/valet/Certificates")
    : join(home, "Library/Application Support/Herd/config/valet/Certificates");
  mkdirSync(dir, { recursive: true });
  copyFileSync(join(certs, `${HOST}.crt`), join(dir, `${HOST}.crt`));
  copyFileSync(join(certs, `${HOST}.key`), join(dir, `${HOST}.key`));
  return home;
}

/** A client certificate and key to present, in PEM. */
type ClientCertificate = { cert: string; key: string };

/** GET over https to 127.0.0.1, verifying the certificate for `servername` against `ca`. */
function httpsGet(port: number, path: string, ca: string, servername = HOST, client?: ClientCertificate): Promise<string> {
  return new Promise((resolve, reject) => {
    const options: RequestOptions = { host: "127.0.0.1", port, path, ca, servername, agent: false, ...client };
    const req = request(options, (res) => {
      let body = "";
      res.on("data", (chunk: Buffer) => (body += chunk));
      res.on("end", () => resolve(body));
    });
    req.on("error", reject);
    req.end();
  });
}

/** Opens wss://…/app/{key} with certificate verification and returns the first frame. */
function wssFirstFrame(port: number, ca: string, servername = HOST, client?: ClientCertificate): Promise<string> {
  return new Promise((resolve, reject) => {
    const options: WebSocket.ClientOptions & { servername: string } = { ca, servername, ...client };
    const socket = new WebSocket(`wss://127.0.0.1:${port}/app/${APP_A.key}`, options);
    const timer = setTimeout(() => reject(new Error("no frame over wss")), 5000);
    socket.once("message", (data: Buffer) => {
      clearTimeout(timer);
      socket.close();
      resolve(data.toString());
    });
    socket.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

const ESTABLISHED = /^\{"event":"pusher:connection_established","data":"\{\\"socket_id\\":\\"\d+\.\d+\\",\\"activity_timeout\\":30\}"\}$/;

for (const runtime of RUNTIMES) {
  describe(`${runtime}: direct TLS`, () => {
    let certs: { dir: string; ca: string };
    let config: string;
    before(() => {
      certs = makeCertificates();
      config = join(certs.dir, "apps.json");
      writeFileSync(config, fixtureConfigFile());
    });

    const start = async (args: string[], env: Record<string, string> = {}) =>
      startServer(runtime, { args: ["--config", config, ...args], env });
    const stopping = async (server: RunningServer, body: () => Promise<void>) => {
      try {
        await body();
      } finally {
        await server.stop();
      }
    };

    for (const source of ["Valet", "Herd"] as const) {
      it(`serves wss and https with the ${source} certificate found by --hostname`, async () => {
        const server = await start(["--hostname", HOST], { HOME: homeWith(source, certs.dir) });
        await stopping(server, async () => {
          assert.match(server.output(), new RegExp(`Starting secure server on 127\\.0\\.0\\.1:${server.port} \\(laravel\\.test\\)`));
          assert.match(server.output(), new RegExp(`TLS +${source} certificate `));
          assert.equal(await httpsGet(server.port, "/up", certs.ca), '{"health":"OK"}');
          assert.match(await wssFirstFrame(server.port, certs.ca), ESTABLISHED);
        });
      });
    }

    it("accepts the hostname as a URL and from REVERB_HOST", async () => {
      const server = await start([], { HOME: homeWith("Valet", certs.dir), REVERB_HOST: `https://${HOST}` });
      await stopping(server, async () => {
        assert.match(server.output(), /Starting secure server on/);
        assert.equal(await httpsGet(server.port, "/up", certs.ca), '{"health":"OK"}');
      });
    });

    it("falls back to plain ws when no certificate exists for the hostname, and says so", async () => {
      const server = await start(["--hostname", "nothing.test"], { HOME: tempDir("resound-home-") });
      await stopping(server, async () => {
        assert.match(server.output(), /Starting server on .* \(nothing\.test\)/);
        assert.match(server.output(), /no certificate for nothing\.test in .*; serving plain ws/);
        const response = await fetch(`http://127.0.0.1:${server.port}/up`);
        assert.equal(await response.text(), '{"health":"OK"}');
      });
    });

    const tlsConfig = (tls: Record<string, unknown>) => {
      const path = join(certs.dir, `tls-${Math.random().toString(36).slice(2)}.json`);
      writeFileSync(path, JSON.stringify({ ...JSON.parse(fixtureConfigFile()), server: { options: { tls } } }));
      return path;
    };

    it("serves wss with local_cert and local_pk from the config file, relative to it", async () => {
      const file = tlsConfig({ local_cert: `${HOST}.crt`, local_pk: `${HOST}.key` });
      const server = await startServer(runtime, { args: ["--config", file] });
      await stopping(server, async () => {
        assert.match(server.output(), /Starting secure server on/);
        assert.match(await wssFirstFrame(server.port, certs.ca, "127.0.0.1"), ESTABLISHED);
      });
    });

    if (runtime !== "deno") {
      // Deno.serve has no timeout for connections that send nothing (README, "Differences between runtimes").
      it("drops a connection that never starts its TLS handshake within about 10 s, as idle HTTP connections", async () => {
        const file = tlsConfig({ local_cert: `${HOST}.crt`, local_pk: `${HOST}.key` });
        const server = await startServer(runtime, { args: ["--config", file] });
        await stopping(server, async () => {
          const started = Date.now();
          const socket = tcpConnect(server.port, "127.0.0.1");
          socket.on("error", () => {});
          await new Promise<void>((closed) => {
            socket.on("close", () => closed());
            setTimeout(() => socket.destroy(), 30_000);
          });
          const held = Date.now() - started;
          assert.ok(held < 20_000, `held ${held} ms (Node's own TLS handshake timeout is 120 s)`);
        });
      });
    }

    it("takes the key from a combined local_cert bundle, and an encrypted key with its passphrase", async () => {
      const bundle = join(certs.dir, "bundle.pem");
      writeFileSync(bundle, readFileSync(join(certs.dir, `${HOST}.crt`), "utf8") + readFileSync(join(certs.dir, `${HOST}.key`), "utf8"));
      for (const tls of [{ local_cert: bundle }, { local_cert: `${HOST}.crt`, local_pk: "encrypted.key", passphrase: "s3cret" }]) {
        const server = await startServer(runtime, { args: ["--config", tlsConfig(tls)] });
        await stopping(server, async () => {
          assert.equal(await httpsGet(server.port, "/up", certs.ca), '{"health":"OK"}');
        });
      }
    });

    if (runtime === "deno") {
      it("stops with exit code 1 and one line for ca and verify_peer, which Deno cannot honour", async () => {
        const file = tlsConfig({ local_cert: `${HOST}.crt`, local_pk: `${HOST}.key`, ca: "resound-ca.crt", verify_peer: true });
        const { code, output } = await runToExit(runtime, ["--port", String(await freePort()), "--config", file]);
        assert.equal(code, 1, output);
        assert.equal(output.trim().split("\n").length, 1, output);
        assert.match(output, /Deno\.serve cannot verify client certificates; remove ca and verify_peer from server\.options\.tls/);
      });
    } else {
      it("with ca and verify_peer, serves clients with a certificate from that CA and refuses the others", async () => {
        const file = tlsConfig({ local_cert: `${HOST}.crt`, local_pk: `${HOST}.key`, ca: "resound-ca.crt", verify_peer: true });
        const server = await startServer(runtime, { args: ["--config", file] });
        const read = (name: string) => readFileSync(join(certs.dir, name), "utf8");
        await stopping(server, async () => {
          const client = { cert: read("client.crt"), key: read("client.key") };
          assert.equal(await httpsGet(server.port, "/up", certs.ca, HOST, client), '{"health":"OK"}');
          assert.match(await wssFirstFrame(server.port, certs.ca, HOST, client), ESTABLISHED);
          await assert.rejects(httpsGet(server.port, "/up", certs.ca), "no client certificate");
          await assert.rejects(wssFirstFrame(server.port, certs.ca), "no client certificate over wss");
          const stranger = { cert: read("other.crt"), key: read("other.key") };
          await assert.rejects(httpsGet(server.port, "/up", certs.ca, HOST, stranger), "a certificate from another issuer");
        });
      });
    }

    const failures: Array<[string, Record<string, unknown>, RegExp]> = [
      ["a missing certificate", { local_cert: "missing.crt", local_pk: `${HOST}.key` }, /The TLS local_cert .*missing\.crt does not exist\./],
      ["a file that is not PEM", { local_cert: "apps.json", local_pk: `${HOST}.key` }, /The TLS local_cert .*apps\.json does not contain a PEM certificate/],
      ["a key of another certificate", { local_cert: `${HOST}.crt`, local_pk: "other.key" }, /The TLS certificate .*laravel\.test\.crt and key .*other\.key cannot be used: the key does not belong to the certificate/],
      ["a wrong passphrase", { local_cert: `${HOST}.crt`, local_pk: "encrypted.key", passphrase: "nope" }, /cannot be used: the passphrase is wrong/],
      ["an encrypted key without passphrase", { local_cert: `${HOST}.crt`, local_pk: "encrypted.key" }, /The TLS local_pk .*encrypted\.key is encrypted; set server\.options\.tls\.passphrase\./],
    ];
    for (const [what, tls, message] of failures) {
      it(`stops with exit code 1 and one line for ${what}`, async () => {
        const { code, output } = await runToExit(runtime, ["--port", String(await freePort()), "--config", tlsConfig(tls)]);
        assert.equal(code, 1, output);
        const lines = output.trim().split("\n");
        assert.equal(lines.length, 1, output);
        assert.match(lines[0]!, message);
      });
    }

    it("works with a real pusher-js client using forceTLS", async () => {
      const file = tlsConfig({ local_cert: `${HOST}.crt`, local_pk: `${HOST}.key` });
      const server = await startServer(runtime, { args: ["--config", file] });
      await stopping(server, async () => {
        const output = await runPusherJsOverTls(server.port, join(certs.dir, "resound-ca.crt"));
        assert.match(output, /subscribed\n/);
        assert.match(output, /event {"secure":true}\n/);
      });
    });
  });
}

/**
 * Runs pusher-js (forceTLS, certificate verified) in a child process trusting the test CA, subscribes, triggers an
 * event through the signed HTTPS API with the `pusher` SDK, and returns what the child printed.
 */
function runPusherJsOverTls(port: number, caFile: string): Promise<string> {
  const script = `
    const Pusher = require("pusher-js");
    const PusherServer = require("pusher");
    const client = new Pusher(${JSON.stringify(APP_A.key)}, { cluster: "mt1", wsHost: "127.0.0.1", wssPort: ${port},
      forceTLS: true, enabledTransports: ["ws", "wss"], disableStats: true });
    const api = new PusherServer({ appId: ${JSON.stringify(APP_A.id)}, key: ${JSON.stringify(APP_A.key)},
      secret: ${JSON.stringify(APP_A.secret)}, host: "127.0.0.1", port: "${port}", useTLS: true });
    const channel = client.subscribe("secure-news");
    channel.bind("pusher:subscription_succeeded", async () => {
      console.log("subscribed");
      await api.trigger("secure-news", "update", { secure: true });
    });
    channel.bind("update", (data) => { console.log("event " + JSON.stringify(data)); client.disconnect(); process.exit(0); });
    setTimeout(() => { console.log("timeout " + client.connection.state); process.exit(1); }, 8000);
  `;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["-e", script], {
      cwd: ROOT,
      env: { ...process.env, NODE_EXTRA_CA_CERTS: caFile },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk));
    child.once("error", reject);
    child.once("exit", () => resolve(output));
  });
}

/**
 * @module The package as a user gets it: `npm pack`, installed into a Laravel-like folder, then `npx resound`,
 * `bunx --bun resound` and `deno run -A npm:resound` from there, and the library entries imported as an embedder would.
 */

import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { before, describe, it } from "node:test";
import { connected, nextEvent, pusherClient, serverSdk } from "../support/e2e-server.ts";
import { freePort, ROOT, RUNTIMES, runCommand, type RunningServer, tempDir } from "../support/spawn.ts";

const run = promisify(execFile);
const BIN = join(ROOT, "node_modules", ".bin");
const APP = { appId: "424242", key: "laravel-key", secret: "laravel-secret" };
/** The library examples of the README, in the order they appear there. */
const EXAMPLES = { node: "node.mjs", bun: "bun.ts", deno: "deno.ts" } as const;

let folder: string;

/** The README's code block that follows `<!-- example: name -->`. */
function readmeExample(name: string): string {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const match = new RegExp(`<!-- example: ${name} -->\\s*\`\`\`[a-z]+\\n([\\s\\S]*?)\`\`\``).exec(readme);
  assert.ok(match, `README has no example ${name}`);
  return match[1]!;
}

/** Writes the Laravel .env with this port. */
function writeEnv(port: number): void {
  writeFileSync(join(folder, ".env"), `APP_NAME=Laravel\nREVERB_APP_ID=${APP.appId}\nREVERB_APP_KEY=${APP.key}\nREVERB_APP_SECRET=${APP.secret}\nREVERB_SERVER_PORT=${port}\n`);
}

/** Waits until GET /up answers on `port` (the process prints nothing when it is a library example). */
async function waitForUp(port: number, process: Omit<RunningServer, "port">): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const ok = await fetch(`http://127.0.0.1:${port}/up`).then((response) => response.ok, () => false);
    if (ok) return;
    if (process.process.exitCode !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`nothing answered /up on ${port}; output:\n${process.output()}`);
}

/** A pusher-js client with these credentials subscribes, and an event published through the pusher SDK reaches it. */
async function assertRoundTrip(port: number, app: typeof APP): Promise<void> {
  const client = pusherClient(port, app.key);
  try {
    await connected(client);
    const channel = client.subscribe("orders");
    await nextEvent(channel, "pusher:subscription_succeeded");
    const received = nextEvent(channel, "OrderShipped", 5_000);
    await serverSdk(port, app).trigger("orders", "OrderShipped", { id: 7 });
    assert.deepEqual(await received, { id: 7 });
  } finally {
    client.disconnect();
  }
}

describe("the package", () => {
  before(async () => {
    const packs = tempDir("resound-pack-");
    const { stdout } = await run("npm", ["pack", "--pack-destination", packs, "--silent"], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 });
    const tarball = join(packs, stdout.trim().split("\n").at(-1)!);
    folder = tempDir("laravel-app-");
    writeFileSync(join(folder, "package.json"), JSON.stringify({ name: "laravel-app", private: true, type: "module" }));
    await run("npm", ["install", tarball, "--no-audit", "--no-fund", "--prefer-offline", "--silent"], { cwd: folder });
  });

  it("holds only what runs: the bin, the built JavaScript with its types, README and LICENSE", async () => {
    const manifest = JSON.parse(readFileSync(join(folder, "node_modules", "resound", "package.json"), "utf8")) as Record<string, unknown>;
    assert.equal(manifest["private"], undefined);
    assert.equal(manifest["license"], "MIT");
    const { stdout } = await run("find", [".", "-type", "f"], { cwd: join(folder, "node_modules", "resound") });
    const files = stdout.trim().split("\n").map((file) => file.slice(2));
    for (const file of files) assert.match(file, /^(bin\/resound\.mjs|dist\/(src|runtimes)\/.+\.(js|d\.ts)|README\.md|LICENSE|package\.json)$/, file);
    assert.ok(files.includes("dist/src/index.d.ts") && files.includes("dist/runtimes/node.js"));
  });

  it("npx resound --version and --help", async () => {
    assert.equal((await run("npx", ["resound", "--version"], { cwd: folder })).stdout.trim(), "Resound 0.1.0");
    assert.match((await run("npx", ["resound", "--help"], { cwd: folder })).stdout, /^Usage: resound \[options\]/);
  });

  const commands: Record<(typeof RUNTIMES)[number], { command: string; args: string[]; banner: RegExp }> = {
    node: { command: "npx", args: ["resound"], banner: /^Resound 0\.1\.0 on Node / },
    bun: { command: join(BIN, "bun"), args: ["x", "--bun", "resound"], banner: /^Resound 0\.1\.0 on Bun / },
    deno: { command: join(BIN, "deno"), args: ["run", "-A", "npm:resound"], banner: /^Resound 0\.1\.0 on Deno / },
  };
  for (const runtime of RUNTIMES) {
    it(`${runtime}: the installed command, run in the Laravel folder, serves with that folder's .env`, async () => {
      const port = await freePort();
      writeEnv(port);
      const { command, args, banner } = commands[runtime];
      const server = runCommand(command, [...args, "--host", "127.0.0.1"], { cwd: folder });
      try {
        await server.waitFor(/VITE_REVERB_SCHEME/, 30_000);
        assert.match(server.output(), banner);
        assert.match(server.output(), new RegExp(`\\.env +${join(folder, ".env").replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`));
        assert.match(server.output(), /Apps +424242 \(key laravel-key\)/);
        await assertRoundTrip(port, APP);
      } finally {
        await server.stop();
      }
    });
  }

  it("bunx resound (without --bun) runs the command on Node, as its shebang says", async () => {
    const port = await freePort();
    writeEnv(port);
    const server = runCommand(join(BIN, "bun"), ["x", "resound", "--host", "127.0.0.1"], { cwd: folder });
    try {
      await server.waitFor(/Starting server on/, 30_000);
      assert.match(server.output(), /^Resound 0\.1\.0 on Node /);
    } finally {
      await server.stop();
    }
  });

  const libraryCommands = {
    node: (file: string) => ({ command: process.execPath, args: [file] }),
    bun: (file: string) => ({ command: join(BIN, "bun"), args: [file] }),
    deno: (file: string) => ({ command: join(BIN, "deno"), args: ["run", "-A", file] }),
  };
  for (const runtime of RUNTIMES) {
    it(`${runtime}: the README's library example, mounted in the app's own server, imports the installed package`, async () => {
      const port = await freePort();
      const file = EXAMPLES[runtime];
      writeFileSync(join(folder, file), readmeExample(runtime).replaceAll("8080", String(port)));
      const { command, args } = libraryCommands[runtime](file);
      const example = runCommand(command, args, { cwd: folder });
      try {
        await waitForUp(port, example);
        assert.equal(await (await fetch(`http://127.0.0.1:${port}/`)).text(), "Hello from my app");
        await assertRoundTrip(port, { appId: "my-app-id", key: "my-app-key", secret: "my-app-secret" });
      } finally {
        await example.stop();
      }
    });
  }

  it("exports only the public surface, and its types check in a consumer's TypeScript", async () => {
    const internal = await run(process.execPath, ["--input-type=module", "-e", "import('resound/dist/src/server.js').then(() => console.log('reachable'), (e) => console.log(e.code))"], { cwd: folder });
    assert.equal(internal.stdout.trim(), "ERR_PACKAGE_PATH_NOT_EXPORTED");
    const api = await run(process.execPath, ["--input-type=module", "-e", "const m = await import('resound'); console.log(Object.keys(m).sort().join(','))"], { cwd: folder });
    assert.equal(api.stdout.trim(), "Metrics,VERSION,createServer,defineApp");
    writeFileSync(join(folder, "consumer.ts"), [
      'import { createServer, defineApp, type App, type ResoundServer } from "resound";',
      'import { createNodeServer, type NodeResound } from "resound/node";',
      'import type { BunResound } from "resound/bun";',
      'import type { DenoResound } from "resound/deno";',
      'const app: App = defineApp({ id: "1", key: "k", secret: "s", maxConnections: 10 });',
      "const core: ResoundServer = createServer({ apps: [app] });",
      "const node: NodeResound = createNodeServer({ apps: [app] });",
      "export const kinds: [ResoundServer, NodeResound, BunResound | undefined, DenoResound | undefined] = [core, node, undefined, undefined];",
      "// @ts-expect-error: an app needs its secret",
      'defineApp({ id: "1", key: "k" });',
      "",
    ].join("\n"));
    writeFileSync(join(folder, "tsconfig.json"), JSON.stringify({
      compilerOptions: { module: "nodenext", moduleResolution: "nodenext", target: "es2022", strict: true, noEmit: true, types: ["node"], typeRoots: [join(ROOT, "node_modules", "@types")] },
      files: ["consumer.ts"],
    }));
    const result = await run(join(BIN, "tsc"), ["-p", "tsconfig.json"], { cwd: folder }).catch((error: { stdout: string }) => error);
    assert.equal("stdout" in result ? result.stdout.trim() : "", "", "the consumer type-checks");
  });
});

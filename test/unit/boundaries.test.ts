/** @module The core stays runtime-neutral: no Bun., Deno., process. or node: in src/, and ioredis only in the Redis adapter. */

import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, it } from "node:test";
import { ROOT } from "../support/spawn.ts";

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sources(join(dir, entry.name)) : entry.name.endsWith(".ts") ? [join(dir, entry.name)] : []
  );
}

/** The code of a file with comments and string contents blanked, so prose mentioning Deno.serve does not count. */
function code(path: string): string {
  return readFileSync(path, "utf8")
    .replace(/\/\*[\s\S]*?\*\//g, "")
    .replace(/\/\/.*$/gm, "");
}

describe("src/ boundaries", () => {
  const files = sources(join(ROOT, "src"));

  it("finds the source files", () => {
    assert.ok(files.length > 30);
  });

  it("uses no runtime-specific API", () => {
    const offenders = files.filter((file) => /\b(Bun|Deno|process)\.|["']node:|\brequire\(/.test(code(file)));
    assert.deepEqual(offenders.map((file) => relative(ROOT, file)), []);
  });

  it("imports ioredis only in the Redis adapter, the NATS client only in the NATS adapter, and only these packages anywhere", () => {
    const allowed = new Set(["hono", "valibot", "ioredis", "@nats-io/transport-node", "@noble/hashes"]);
    for (const file of files) {
      for (const [, specifier] of code(file).matchAll(/\bfrom\s+["']([^"']+)["']|\bimport\(\s*["']([^"']+)["']\s*\)/g)) {
        if (!specifier || specifier.startsWith(".")) continue;
        const name = specifier.split("/").slice(0, specifier.startsWith("@") ? 2 : 1).join("/");
        assert.ok(allowed.has(name), `${relative(ROOT, file)} imports ${specifier}`);
        if (name === "ioredis") assert.equal(relative(ROOT, file), "src/scaling/connect-redis.ts");
        if (name === "@nats-io/transport-node") assert.equal(relative(ROOT, file), "src/scaling/connect-nats.ts");
      }
    }
  });

  it("writes relative imports with their .ts extension", () => {
    for (const file of files) {
      for (const [, specifier] of code(file).matchAll(/\bfrom\s+["'](\.[^"']+)["']/g)) {
        assert.match(specifier!, /\.ts$/, `${relative(ROOT, file)} imports ${specifier}`);
      }
    }
  });
});

describe("package version", () => {
  it("matches src/version.ts", async () => {
    const { VERSION } = await import("../../src/version.ts");
    assert.equal(JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).version, VERSION);
  });
});

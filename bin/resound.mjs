#!/usr/bin/env node
/** The `resound` command of the installed package: the server (or --help, --version) on the runtime running this file. */

const runtime = typeof globalThis.Deno !== "undefined" ? "deno" : typeof globalThis.Bun !== "undefined" ? "bun" : "node";
const { start } = await import(`../dist/runtimes/cli-${runtime}.js`);
await start("resound");

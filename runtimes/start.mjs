/** Entry of `npm start` and `bun run start` in the checkout (bunfig.toml makes Bun run `node` scripts): this runtime's CLI. */

if (typeof globalThis.Bun !== "undefined") {
  const { start } = await import("./cli-bun.ts");
  await start("bun run start");
} else {
  // Node runs TypeScript through tsx, registered in-process so signals and exit codes stay with this process.
  const { register } = await import("tsx/esm/api");
  register();
  const { start } = await import("./cli-node.ts");
  await start("npm start --");
}

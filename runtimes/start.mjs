/** Entry of `npm start` and `bun run start` (bunfig.toml makes Bun run `node` scripts): loads this runtime's shim. */

if (typeof globalThis.Bun !== "undefined") {
  await import("./bun.ts");
} else {
  // Node runs TypeScript through tsx, registered in-process so signals and exit codes stay with this process.
  const { register } = await import("tsx/esm/api");
  register();
  await import("./node.ts");
}

// Adds lockfile entries for optional platform packages the registry could not serve (this machine's npm mirror
// only carries Deno's linux-x64 binary), so `npm ci` accepts the lockfile. npm skips those entries on other
// platforms without fetching them. Run after `npm install`: `node .ci/complete-lockfile.mjs`.
import { readFileSync, writeFileSync } from "node:fs";

const path = new URL("../package-lock.json", import.meta.url);
const lock = JSON.parse(readFileSync(path, "utf8"));
const packages = lock.packages;
let added = 0;
for (const [key, entry] of Object.entries(packages)) {
  for (const [name, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const target = `node_modules/${name}`;
    const platform = /[/-](darwin|linux|win32|freebsd)-(x64|arm64|aarch64)(?:-(glibc|musl))?$/.exec(name);
    if (packages[target] || !platform) continue;
    const [, os, cpu, libc] = platform;
    packages[target] = {
      version,
      resolved: `https://registry.npmjs.org/${name}/-/${name.split("/").pop()}-${version}.tgz`,
      ...(entry.dev && { dev: true }),
      optional: true,
      os: [os],
      cpu: [cpu === "aarch64" ? "arm64" : cpu],
      ...(libc && { libc: [libc] }),
    };
    added++;
    console.log(`added ${name}@${version} (needed by ${key})`);
  }
}
lock.packages = Object.fromEntries(Object.entries(packages).sort(([a], [b]) => (a === "" ? -1 : b === "" ? 1 : a < b ? -1 : 1)));
writeFileSync(path, JSON.stringify(lock, null, 2) + "\n");
console.log(`${added} entr${added === 1 ? "y" : "ies"} added`);

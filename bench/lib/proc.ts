/** @module Server process metrics from /proc: resident memory (VmRSS) and CPU time (utime + stime), summed over pids. */

import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

/** Clock ticks per second of /proc/PID/stat times (`getconf CLK_TCK`, 100 on Linux). */
export const CLK_TCK = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;

/** Summed VmRSS of `pids`, in bytes. */
export function rssBytes(pids: readonly number[]): number {
  let total = 0;
  for (const pid of pids) {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    if (!match) throw new Error(`no VmRSS for pid ${pid}`);
    total += Number(match[1]) * 1024;
  }
  return total;
}

/** Summed user + system CPU time of `pids` (all threads), in milliseconds. */
export function cpuMs(pids: readonly number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" "); // fields[0] is field 3 (state)
    ticks += Number(fields[11]) + Number(fields[12]); // utime (14), stime (15)
  }
  return (ticks * 1000) / CLK_TCK;
}

/** This process's own CPU time in milliseconds (the load generator's cost), user and system. */
export function selfCpuMs(): { user: number; system: number } {
  const { user, system } = process.cpuUsage();
  return { user: user / 1000, system: system / 1000 };
}

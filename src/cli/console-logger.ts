/** @module A Logger that writes lines through the host: errors and warnings always, debug lines only with --debug. */

import type { Logger } from "../support/logger.ts";

/** Builds a logger over the host's output functions. */
export function createConsoleLogger(print: (line: string) => void, printError: (line: string) => void, debug: boolean): Logger {
  const stamp = () => new Date().toISOString().slice(11, 23);
  return {
    info: (message) => print(message),
    warn: (message) => printError(`Warning: ${message}`),
    error: (message) => printError(`Error: ${message}`),
    debug: debug
      ? (title, detail) => print(`${stamp()}  ${title.padEnd(24)} ${detail ?? ""}`.trimEnd())
      : () => {},
    debugEnabled: debug,
  };
}

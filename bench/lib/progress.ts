/** @module Progress lines on stderr (stdout is reserved for the one JSON result line). */

const started = performance.now();

export function progress(message: string): void {
  process.stderr.write(`[load +${((performance.now() - started) / 1000).toFixed(1)}s] ${message}\n`);
}

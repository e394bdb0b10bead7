/** @module Percentiles of latency samples and medians of repeated runs. */

/** Wall-clock milliseconds with sub-millisecond precision, comparable across processes. */
export const nowMs = (): number => performance.timeOrigin + performance.now();

export interface Percentiles {
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/** Nearest-rank percentiles of the first `count` samples (sorted in place); NaN when empty. */
export function percentiles(samples: Float64Array, count: number): Percentiles {
  if (count === 0) return { p50: NaN, p95: NaN, p99: NaN, max: NaN };
  const sorted = samples.subarray(0, count).sort();
  const at = (p: number) => round(sorted[Math.min(count - 1, Math.ceil((p / 100) * count) - 1)]!);
  return { p50: at(50), p95: at(95), p99: at(99), max: round(sorted[count - 1]!) };
}

/** The median of the finite values, or null when there are none. */
export function median(values: readonly number[]): number | null {
  const finite = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (finite.length === 0) return null;
  const mid = finite.length >> 1;
  return finite.length % 2 ? finite[mid]! : round((finite[mid - 1]! + finite[mid]!) / 2);
}

/** Rounds to 3 decimals (µs precision for milliseconds). */
export function round(value: number, digits = 3): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

#!/usr/bin/env bash
# A/B fan-out check for a hot-path change: `bench/ab-fanout.sh BEFORE_DIR AFTER_DIR [ROUNDS]` runs the fan-out
# scenario (Resound only, one run each) alternately from two checkouts, so the drift of a shared VM hits both sides
# alike, and prints the CPU µs per delivery of each run. Make BEFORE_DIR with `git worktree add ../before <commit>`
# (and a node_modules symlink). Note: each run rewrites today's fan-out rows in that checkout's bench/results.
set -euo pipefail
before=$1 after=$2 rounds=${3:-6}
for ((round = 1; round <= rounds; round++)); do
  for runtime in node bun deno; do
    for side in "$before" "$after"; do
      out=$(cd "$side" && npm run bench -- run --scenarios fanout --servers resound --runtimes "$runtime" --repeat 1 2>&1 | grep -oE "[0-9.]+ µs/delivery" | head -1)
      echo "$runtime $side $out"
    done
  done
done

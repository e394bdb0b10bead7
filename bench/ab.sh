#!/usr/bin/env bash
# A/B check for a hot-path change: `bench/ab.sh SCENARIO BEFORE_DIR AFTER_DIR [ROUNDS]` runs one suite scenario
# (fanout, publish, …; Resound only, one run each) alternately from two checkouts, so the drift of a shared VM hits
# both sides alike, and prints the CPU µs per delivery of each run (per publish, for `publish`). Make BEFORE_DIR with
# `git worktree add ../before <commit>` (and a node_modules symlink). Each run rewrites today's rows of that scenario
# in that checkout's bench/results.
set -euo pipefail
scenario=$1 before=$2 after=$3 rounds=${4:-6}
for ((round = 1; round <= rounds; round++)); do
  for runtime in node bun deno; do
    for side in "$before" "$after"; do
      out=$(cd "$side" && npm run bench -- run --scenarios "$scenario" --servers resound --runtimes "$runtime" --repeat 1 2>&1 | grep -oE "[0-9.]+ µs/delivery" | head -1)
      echo "$runtime $side $out"
    done
  done
done

#!/usr/bin/env bash
# The peer benchmark of docs/performance.md ("Peers"): the seed race explored by daxlab
# (its library, in process), by loom 0.7.3 and by shuttle 0.8.1 (engine/peers/*-seed), with
# one Markdown table on stdout. Options go to the reporter, e.g.
#   engine/peers/run.sh --runs 5 --seeds 100 --bounds 2,3,4
# Build and run in release mode; progress goes to stderr.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
cargo build --quiet --release --manifest-path "$root/engine/peers/Cargo.toml" -p peers-report
exec "$CARGO_TARGET_DIR/release/peers-report" "$@"

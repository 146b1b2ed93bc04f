#!/bin/bash
# Pyramid against PostGraphile (the peer in ../shared/peer) at national scale, one command from
# the repository's root: builds the release binaries, loads both data sets the first time (~10
# minutes), then runs the shared compare.sh and prints its table and RATIO line. Writes under
# $PEER_STATE (default ./.peer). Stop both servers afterwards with ../shared/peer/stop.sh.
set -e
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$(pwd)/target}
PEER=${PEER:-$(pwd)/../shared/peer}
export PEER_STATE=${PEER_STATE:-$(pwd)/.peer}
export PYRAMID=${PYRAMID:-$CARGO_TARGET_DIR/release/pyramid}
export PYRAMID_LOAD=${PYRAMID_LOAD:-$CARGO_TARGET_DIR/release/pyramid-bench --log warn --scale national --load-only}
cargo build --release -p pyramid -p pyramid-bench
"$PEER/setup.sh"
"$PEER/compare.sh"

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
# PostGraphile answers any council's dashboard; the bench's commissioner is in the quality team
# of the first area only, so Pyramid would answer 41 of 42 councils' dashboards with nothing
# (which compare.sh counts as bad responses). Make them commissioner of every area, once.
psql -h 127.0.0.1 -U postgres -d "${PYR_DB:-pyr_bench}" -qc "INSERT INTO area_roles (member_id, area_id, role, since)
  SELECT r.member_id, g.id, 'COMMISSIONER', now() FROM area_roles r CROSS JOIN groups g
  WHERE r.role = 'COMMISSIONER' AND r.until IS NULL AND g.kind = 'COUNCIL' AND NOT EXISTS (
    SELECT 1 FROM area_roles o WHERE o.member_id = r.member_id AND o.area_id = g.id AND o.role = 'COMMISSIONER')"
# wrk sends thousands of requests a second from one address: lift the per-client request limit.
export PYRAMID_REQUESTS_PER_MINUTE=${PYRAMID_REQUESTS_PER_MINUTE:-100000000}
"$PEER/compare.sh"

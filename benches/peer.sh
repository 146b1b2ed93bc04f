#!/bin/bash
# Pyramid against PostGraphile (the peer in ../shared/peer) at national scale, one command from
# the repository's root: builds the release binaries, loads both data sets the first time (~10
# minutes), then runs the shared compare.sh and prints its table and RATIO line. Writes under
# $PEER_STATE (default ./.peer). Stop both servers afterwards with
# `PEER_STATE=$(pwd)/.peer ../shared/peer/stop.sh` (without PEER_STATE it looks elsewhere, misses
# them, and the next run measures the old binary: start.sh keeps a server that is running).
# Prints three tables (the dashboard and the item from compare.sh, then the district queue),
# each with its RATIO line, and the server's peak RSS.
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
export TAG=${TAG:-S$(date +%m%d%H%M%S)}
"$PEER/compare.sh"
# The district review queue: the shared harness drives the other two key queries only, so its
# runs go through benches/queue.py (the shared measure.py with the queue's bodies), interleaved
# the same way, PostGraphile A, Pyramid A, PostGraphile B, Pyramid B.
[ -s "$PEER_STATE/pyr_queue.jsonl" ] || PEER=$PEER python3 benches/queue.py bodies
for run in A B; do
  for sys in pg pyr; do
    PEER=$PEER python3 benches/queue.py measure $sys "Q$TAG-$run" ${SECONDS_ARG:+--seconds $SECONDS_ARG}
  done
done
echo
python3 "$PEER/report.py" "Q$TAG" | sed 's/^| dashboard |/| district queue |/; s/^RATIO dashboard:/RATIO district queue:/' \
  | tee "$PEER_STATE/results/report_Q$TAG.md"
# Memory: the serving process's peak resident set over the whole run (all three queries).
echo "Pyramid serve peak RSS (VmHWM): $(grep VmHWM "/proc/$(cat "$PEER_STATE/pyramid.pid")/status" | awk '{print $2/1024 " MB"}')"

#!/usr/bin/env python3
"""The district review queue, measured the way ../shared/peer measures the other two key queries.

The shared harness drives the council dashboard and the item by reference only; its peer has
the district queue's document (queries/b_district_queue.graphql) but no bodies or runs for it.
This writes the bodies for both systems (a district drawn uniformly from each database's 210
districts, the same seed for both) and runs the shared measure.py on them, unchanged, for one
system and one label:

  benches/queue.py bodies
  benches/queue.py measure SYSTEM LABEL [--seconds N]   (SYSTEM: pg | pyr)

measure.py knows two queries; the queue's runs go through it as its "dashboard" with the
queue's bodies and expected answer, labelled Q<tag>-A/B so that `report.py Q<tag>` summarises
them alone (benches/peer.sh renames the rows to "district queue").
"""
import json, os, random, subprocess, sys

PEER = os.environ.get("PEER") or os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "peer")
sys.path.insert(0, PEER)
import measure  # noqa: E402  (the shared harness)

STATE = measure.STATE
PSQL = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-qAt"]
PYR_DB = os.environ.get("PYR_DB", "pyr_bench")
# The same question as the peer's b_district_queue.graphql: the 50 newest items waiting at
# one district, with their PPG and provider.
PYR_QUEUE = (
    "query Queue($district: ID!) { items(filter: { heldAt: $district, statuses: [AT_DISTRICT] }, "
    "orderBy: NEWEST, first: 50) { edges { node { reference title status raisedAt "
    "originGroup { name } provider { name } } } } }"
)
EXPECT = {"pg": '"nodes":[{"reference"', "pyr": '"edges":[{"node"'}


def ids(db, kind):
    out = subprocess.run(PSQL + ["-d", db, "-c", f"SELECT id FROM groups WHERE kind = '{kind}' ORDER BY id"],
                         check=True, capture_output=True, text=True).stdout.split()
    return [int(x) for x in out]


def gid(n):
    import base64
    return base64.urlsafe_b64encode(f"Group:{n}".encode()).decode().rstrip("=")


def write(name, bodies):
    with open(os.path.join(STATE, name), "w") as f:
        for b in bodies:
            f.write(json.dumps(b, separators=(",", ":")) + "\n")


def bodies():
    peer_query = open(os.path.join(PEER, "queries", "b_district_queue.graphql")).read()
    pg, pyr = ids("peer", "DISTRICT"), ids(PYR_DB, "DISTRICT")
    assert len(pg) == 210 and len(pyr) >= 200, (len(pg), len(pyr))
    rnd = random.Random(4242)
    picks = [rnd.random() for _ in range(5000)]
    write("pg_queue.jsonl", [{"query": peer_query, "variables": {"groupId": str(pg[int(p * len(pg))])}} for p in picks])
    write("pyr_queue.jsonl", [{"query": PYR_QUEUE, "variables": {"district": gid(pyr[int(p * len(pyr))])}} for p in picks])
    print("queue bodies written to", STATE)


def run(system, label, rest):
    wrk = measure.wrk

    def queue_wrk(sys_, query, *args, **kw):
        return wrk(sys_, "queue" if query == "dashboard" else query, *args, **kw)

    measure.wrk = queue_wrk
    measure.SYSTEMS[system]["expect"]["queue"] = EXPECT[system]
    sys.argv = ["measure.py", system, "dashboard", label] + rest
    measure.main()


if __name__ == "__main__":
    if sys.argv[1:2] == ["bodies"]:
        bodies()
    elif sys.argv[1:2] == ["measure"] and len(sys.argv) >= 4:
        run(sys.argv[2], sys.argv[3], sys.argv[4:])
    else:
        raise SystemExit(__doc__)

//! The queries the bench measures: their GraphQL documents, targets, and what a good answer
//! contains.

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum QueryName {
    /// The 50 most recently updated items held at the council.
    Dashboard,
    /// 50 items waiting at a district, as its secretary.
    District,
    /// One item by reference with its events and their groups.
    Item,
    /// Not a query: PPG members raise reports about one provider of the register, each
    /// through `raiseItem`, whose transaction also runs pattern detection.
    Raise,
    /// The same reports with no provider, so no detection runs: the difference from `raise`
    /// is what detection costs.
    RaiseNoProvider,
    /// Not a key query: `{ __typename }` with no token, so no SQL at all. The floor that HTTP,
    /// GraphQL and this load generator cost on this machine.
    Floor,
}

pub const ALL_QUERIES: [QueryName; 3] =
    [QueryName::Dashboard, QueryName::District, QueryName::Item];

impl QueryName {
    pub fn label(self) -> &'static str {
        match self {
            QueryName::Dashboard => "council dashboard",
            QueryName::District => "district review queue",
            QueryName::Item => "one item by reference",
            QueryName::Raise => "raise a report (with pattern detection)",
            QueryName::RaiseNoProvider => "raise a report with no provider (no detection)",
            QueryName::Floor => "floor: { __typename }, no token",
        }
    }

    /// The target in DESIGN.md (national scale, PostgreSQL 15, 32 clients, 2 cores).
    pub fn target(self) -> &'static str {
        match self {
            QueryName::Dashboard => ">= 2,100 req/s, p99 <= 40 ms",
            QueryName::District => ">= 3,400 req/s",
            QueryName::Item => ">= 8,000 req/s",
            QueryName::Raise => "detection costs the same at every scale",
            QueryName::RaiseNoProvider => "(the baseline for detection)",
            QueryName::Floor => "(no target: no database work)",
        }
    }

    fn document(self) -> &'static str {
        match self {
            QueryName::Dashboard => DASHBOARD,
            QueryName::District => DISTRICT,
            QueryName::Item => ITEM,
            QueryName::Raise | QueryName::RaiseNoProvider => RAISE,
            QueryName::Floor => FLOOR,
        }
    }

    /// A byte string every good answer contains (a non-empty list, a found item).
    pub fn expect(self) -> &'static [u8] {
        match self {
            QueryName::Dashboard | QueryName::District => b"\"edges\":[{\"node\"",
            QueryName::Item => b"\"item\":{\"reference\"",
            QueryName::Raise | QueryName::RaiseNoProvider => b"\"duplicate\":false",
            QueryName::Floor => b"\"__typename\":\"",
        }
    }

    /// The JSON body of a request for this query with one variable set.
    pub fn body(self, variable: &str, value: &str) -> String {
        serde_json::json!({
            "query": self.document(),
            "variables": { variable: value },
        })
        .to_string()
    }

    /// The JSON body of a request for this query with these variables.
    pub fn body_with(self, variables: serde_json::Value) -> String {
        serde_json::json!({ "query": self.document(), "variables": variables }).to_string()
    }

    /// The JSON body of a request for this query with no variables.
    pub fn bare_body(self) -> String {
        serde_json::json!({ "query": self.document() }).to_string()
    }
}

const DASHBOARD: &str = "query Dashboard($council: ID!) { items(filter: { heldAt: $council }, orderBy: RECENTLY_UPDATED, first: 50) { edges { node { reference title status originGroup { name parent { name } } provider { name } latestEvent { kind at group { name } } } } } }";
const DISTRICT: &str = "query ReviewQueue($district: ID!) { items(filter: { heldAt: $district, statuses: [AT_DISTRICT] }, first: 50) { edges { node { reference title originGroup { name } provider { name } } } } }";
const FLOOR: &str = "{ __typename }";
const ITEM: &str = "query Item($ref: String!) { item(reference: $ref) { reference title events { kind at group { name } fromGroup { name } } } }";
const RAISE: &str = "mutation Raise($input: RaiseItemInput!) { raiseItem(input: $input) { item { reference } duplicate patternNotice } }";

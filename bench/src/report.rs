//! Turning measured runs into the Markdown rows of BENCHMARKS.md: percentiles, the table, and
//! a one-line description of an answer.

use crate::client::Run;
use crate::queries::QueryName;

/// The value at percentile `p` (nearest rank) of `sorted`; 0 when it is empty.
fn percentile(sorted: &[u32], p: f64) -> u32 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// `1234567` -> `1,234,567`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn millis(micros: u32) -> String {
    format!("{:.1}", f64::from(micros) / 1000.0)
}

pub struct Row {
    query: QueryName,
    requests: u64,
    per_second: f64,
    p50: u32,
    p99: u32,
    max: u32,
    errors: u64,
    /// Statements for each of a few requests sent one at a time.
    single: Vec<u64>,
    /// Statements per request over the measured run.
    under_load: f64,
}

impl Row {
    pub fn new(query: QueryName, run: Run, single: Vec<u64>, statements: u64) -> Self {
        let requests = run.latencies.len() as u64;
        Self {
            query,
            requests,
            per_second: requests as f64 / run.elapsed.as_secs_f64().max(f64::EPSILON),
            p50: percentile(&run.latencies, 50.0),
            p99: percentile(&run.latencies, 99.0),
            max: run.latencies.last().copied().unwrap_or(0),
            errors: run.errors,
            single,
            under_load: statements as f64 / requests.max(1) as f64,
        }
    }

    fn statements(&self) -> String {
        let (min, max) = (
            self.single.iter().min().copied().unwrap_or(0),
            self.single.iter().max().copied().unwrap_or(0),
        );
        let single = if min == max {
            min.to_string()
        } else {
            format!("{min}–{max}")
        };
        format!("{single} ({:.2} under load)", self.under_load)
    }

    pub fn markdown(&self) -> String {
        format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            self.query.label(),
            thousands(self.requests),
            thousands(self.per_second.round() as u64),
            millis(self.p50),
            millis(self.p99),
            millis(self.max),
            self.errors,
            self.statements(),
            self.query.target()
        )
    }
}

pub fn table(rows: &[Row]) -> String {
    let mut out = String::from(
        "| query | requests | req/s | p50 ms | p99 ms | max ms | errors | statements/request | target (DESIGN.md) |\n\
         |---|--:|--:|--:|--:|--:|--:|---|---|\n",
    );
    for row in rows {
        out.push_str(&row.markdown());
        out.push('\n');
    }
    out
}

/// A one-line summary of an answer (how many items or events came back).
pub fn describe(query: QueryName, body: &[u8]) -> String {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) else {
        return "the answer is not JSON".to_owned();
    };
    match query {
        QueryName::Dashboard | QueryName::District => {
            let edges = value["data"]["items"]["edges"].as_array();
            let first = edges
                .and_then(|e| e.first())
                .map(|e| e["node"]["reference"].to_string())
                .unwrap_or_default();
            format!(
                "{} items per page, first {first}",
                edges.map_or(0, |e| e.len())
            )
        }
        QueryName::Item => {
            let item = &value["data"]["item"];
            format!(
                "{} with {} events",
                item["reference"],
                item["events"].as_array().map_or(0, |e| e.len())
            )
        }
        QueryName::Floor => value["data"].to_string(),
        QueryName::Raise | QueryName::RaiseNoProvider => {
            let raised = &value["data"]["raiseItem"];
            format!(
                "raised {}; pattern notice: {}",
                raised["item"]["reference"], raised["patternNotice"]
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let values: Vec<u32> = (1..=100).collect();
        assert_eq!(percentile(&values, 50.0), 50);
        assert_eq!(percentile(&values, 99.0), 99);
        assert_eq!(percentile(&values, 100.0), 100);
        assert_eq!(percentile(&values, 0.0), 1);
        assert_eq!(percentile(&[7], 99.0), 7);
        assert_eq!(percentile(&[], 50.0), 0);
        assert_eq!(percentile(&[1, 2, 3], 50.0), 2);
    }

    #[test]
    fn numbers_get_thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(1_500_000), "1,500,000");
        assert_eq!(thousands(123_456_789), "123,456,789");
    }
}

//! Charts drawn on the server as SVG, so a report needs no JavaScript: a run chart of monthly
//! counts with its mean and process limits (`domain::spc`), flagged points drawn as larger
//! squares (not by colour alone), each point labelled with its count, and a title and a
//! description that say in words what the chart shows, for screen readers and plain text.

use std::fmt::Write;

use crate::domain::spc::Chart;

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 240.0;
const LEFT: f64 = 48.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 24.0;
const BOTTOM: f64 = 40.0;

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// What a run chart shows, in words: its mean and limits and the points that signal special
/// cause variation (the SVG's description, and what plain text says in its place).
pub fn describe(labels: &[String], chart: &Chart) -> String {
    let flagged: Vec<String> = chart
        .signals
        .iter()
        .enumerate()
        .filter(|(_, s)| !s.is_empty())
        .map(|(i, s)| {
            format!(
                "{} ({}: {})",
                labels.get(i).map_or("", String::as_str),
                fmt(chart.values[i]),
                s.iter()
                    .map(|s| s.describe())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })
        .collect();
    format!(
        "Mean {}, process limits {} to {}. {}",
        fmt(chart.mean),
        fmt(chart.lower),
        fmt(chart.upper),
        if flagged.is_empty() {
            "No point signals special cause variation.".to_owned()
        } else {
            format!("Special cause variation: {}.", flagged.join("; "))
        }
    )
}

/// A run chart of `labels` (one per point, such as "Oct 26") and `chart`'s values, with `id`
/// unique in the page (the title and description are referenced by it).
pub fn run_chart(id: &str, title: &str, labels: &[String], chart: &Chart) -> String {
    let n = chart.values.len().max(1);
    let top_value = chart
        .values
        .iter()
        .copied()
        .fold(chart.upper, f64::max)
        .max(1.0);
    let x = |i: usize| {
        if n == 1 {
            LEFT + (WIDTH - LEFT - RIGHT) / 2.0
        } else {
            LEFT + (WIDTH - LEFT - RIGHT) * i as f64 / (n - 1) as f64
        }
    };
    let y = |v: f64| TOP + (HEIGHT - TOP - BOTTOM) * (1.0 - v / top_value);
    let desc = describe(labels, chart);
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="{id}-title {id}-desc" class="run-chart"><title id="{id}-title">{}</title><desc id="{id}-desc">{}</desc>"#,
        escape(title),
        escape(&desc)
    );
    // Axis and the mean and limits.
    let _ = write!(
        svg,
        r##"<line x1="{LEFT}" y1="{}" x2="{}" y2="{}" stroke="#425563" stroke-width="1"/>"##,
        y(0.0),
        WIDTH - RIGHT,
        y(0.0)
    );
    // The mean solid, the limits dashed; each labelled with its value at the left.
    for (value, dash) in [
        (chart.mean, ""),
        (chart.upper, r#" stroke-dasharray="6 4""#),
        (chart.lower, r#" stroke-dasharray="6 4""#),
    ] {
        let _ = write!(
            svg,
            r##"<line x1="{LEFT}" y1="{y:.1}" x2="{}" y2="{y:.1}" stroke="#425563" stroke-width="1"{dash}/><text x="4" y="{:.1}" font-size="11" fill="#212b32">{}</text>"##,
            WIDTH - RIGHT,
            y(value) + 4.0,
            fmt(value),
            y = y(value),
        );
    }
    // The line through the points, then each point with its count and month.
    let points: Vec<String> = chart
        .values
        .iter()
        .enumerate()
        .map(|(i, v)| format!("{:.1},{:.1}", x(i), y(*v)))
        .collect();
    let _ = write!(
        svg,
        r##"<polyline points="{}" fill="none" stroke="#005eb8" stroke-width="2"/>"##,
        points.join(" ")
    );
    for (i, v) in chart.values.iter().enumerate() {
        let (px, py) = (x(i), y(*v));
        if chart.signals[i].is_empty() {
            let _ = write!(
                svg,
                r##"<circle cx="{px:.1}" cy="{py:.1}" r="4" fill="#005eb8"/>"##
            );
        } else {
            let _ = write!(
                svg,
                r##"<rect x="{:.1}" y="{:.1}" width="11" height="11" fill="#ed8b00" stroke="#212b32"/>"##,
                px - 5.5,
                py - 5.5
            );
        }
        let _ = write!(
            svg,
            r##"<text x="{px:.1}" y="{:.1}" font-size="11" text-anchor="middle" fill="#212b32">{}</text><text x="{px:.1}" y="{:.1}" font-size="11" text-anchor="middle" fill="#212b32">{}</text>"##,
            py - 9.0,
            fmt(*v),
            HEIGHT - BOTTOM + 18.0,
            escape(labels.get(i).map_or("", String::as_str))
        );
    }
    svg.push_str("</svg>");
    svg
}

/// A figure as people read it: whole numbers without decimals, others to one place.
fn fmt(value: f64) -> String {
    if (value - value.round()).abs() < 0.05 {
        format!("{}", value.round() as i64)
    } else {
        format!("{value:.1}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_chart_says_in_words_what_it_shows_and_draws_flagged_points_as_squares() {
        let values = [3.0, 4.0, 3.0, 5.0, 4.0, 30.0];
        let chart = Chart::of(&values).unwrap();
        let labels: Vec<String> = ["Jun 26", "Jul 26", "Aug 26", "Sep 26", "Oct 26", "Nov 26"]
            .map(str::to_owned)
            .to_vec();
        let svg = run_chart("c1", "Concerns <about> discharge", &labels, &chart);
        assert!(svg.starts_with("<svg ") && svg.ends_with("</svg>"));
        assert!(svg.contains(r#"aria-labelledby="c1-title c1-desc""#));
        assert!(svg.contains("<title id=\"c1-title\">Concerns &lt;about&gt; discharge</title>"));
        assert!(
            svg.contains("Special cause variation: Nov 26 (30: above the upper process limit)."),
            "{svg}"
        );
        assert_eq!(svg.matches("<rect ").count(), 1, "one flagged point");
        assert_eq!(svg.matches("<circle ").count(), 5);
        assert!(svg.contains(">30</text>") && svg.contains(">Nov 26</text>"));
    }
}

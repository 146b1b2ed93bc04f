//! Statistical process control for monthly counts, as NHS England's "Making Data Count"
//! teaches it: an XmR chart's mean and process limits (the mean plus and minus 2.66 times the
//! mean moving range), and the signals of special cause variation a report should flag: a
//! point beyond a limit, a run of seven or more points on one side of the mean, and a trend of
//! six or more points each higher (or each lower) than the one before.

/// The run lengths Making Data Count uses.
pub const SHIFT_RUN: usize = 7;
pub const TREND_RUN: usize = 6;

/// Why a point is flagged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// Above the upper process limit.
    AboveLimit,
    /// Below the lower process limit.
    BelowLimit,
    /// Part of a run of seven or more above the mean.
    RunAbove,
    /// Part of a run of seven or more below the mean.
    RunBelow,
    /// Part of six or more points each higher than the one before.
    RisingTrend,
    /// Part of six or more points each lower than the one before.
    FallingTrend,
}

impl Signal {
    /// Whether it signals more (of a count of concerns, a concern in itself).
    pub fn is_high(self) -> bool {
        matches!(
            self,
            Signal::AboveLimit | Signal::RunAbove | Signal::RisingTrend
        )
    }

    pub fn describe(self) -> &'static str {
        match self {
            Signal::AboveLimit => "above the upper process limit",
            Signal::BelowLimit => "below the lower process limit",
            Signal::RunAbove => "in a run of 7 or more above the mean",
            Signal::RunBelow => "in a run of 7 or more below the mean",
            Signal::RisingTrend => "in 6 or more rising points",
            Signal::FallingTrend => "in 6 or more falling points",
        }
    }
}

/// An XmR chart of a series.
#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    pub values: Vec<f64>,
    pub mean: f64,
    /// The process limits; counts cannot go below zero, so the lower one stops there.
    pub upper: f64,
    pub lower: f64,
    /// Each point's signals (empty for common cause variation).
    pub signals: Vec<Vec<Signal>>,
}

impl Chart {
    /// The chart of `values`; `None` with fewer than two points (no moving range).
    pub fn of(values: &[f64]) -> Option<Self> {
        if values.len() < 2 {
            return None;
        }
        let mean = values.iter().sum::<f64>() / values.len() as f64;
        let ranges: Vec<f64> = values.windows(2).map(|w| (w[1] - w[0]).abs()).collect();
        let mean_range = ranges.iter().sum::<f64>() / ranges.len() as f64;
        let upper = mean + 2.66 * mean_range;
        let lower = (mean - 2.66 * mean_range).max(0.0);
        let mut signals = vec![Vec::new(); values.len()];
        for (i, v) in values.iter().enumerate() {
            if *v > upper {
                signals[i].push(Signal::AboveLimit);
            } else if *v < lower {
                signals[i].push(Signal::BelowLimit);
            }
        }
        // Runs on one side of the mean (a point on the mean breaks a run).
        let side = |v: f64| {
            if v > mean {
                1
            } else if v < mean {
                -1
            } else {
                0
            }
        };
        mark_runs(
            values.len(),
            |i| side(values[i]),
            SHIFT_RUN,
            &mut signals,
            |s| {
                if s > 0 {
                    Signal::RunAbove
                } else {
                    Signal::RunBelow
                }
            },
        );
        // Trends: each point higher (lower) than the one before; n points make n - 1 steps.
        let step = |i: usize| {
            if i == 0 {
                0
            } else if values[i] > values[i - 1] {
                1
            } else if values[i] < values[i - 1] {
                -1
            } else {
                0
            }
        };
        let mut trend = vec![Vec::new(); values.len()];
        mark_runs(values.len(), step, TREND_RUN - 1, &mut trend, |s| {
            if s > 0 {
                Signal::RisingTrend
            } else {
                Signal::FallingTrend
            }
        });
        // A trend's first point is the one before its first step.
        for i in 0..values.len() {
            if let Some(signal) = trend[i].first().copied() {
                signals[i].push(signal);
                if i > 0 && !trend[i - 1].contains(&signal) && !signals[i - 1].contains(&signal) {
                    signals[i - 1].push(signal);
                }
            }
        }
        Some(Self {
            values: values.to_vec(),
            mean,
            upper,
            lower,
            signals,
        })
    }

    /// Whether any point signals special cause variation upwards.
    pub fn signals_high(&self) -> bool {
        self.signals.iter().flatten().any(|s| s.is_high())
    }
}

/// Marks every point in a run of at least `length` consecutive equal non-zero `key`s.
fn mark_runs(
    len: usize,
    key: impl Fn(usize) -> i32,
    length: usize,
    marks: &mut [Vec<Signal>],
    signal: impl Fn(i32) -> Signal,
) {
    let mut start = 0;
    while start < len {
        let k = key(start);
        let mut end = start + 1;
        while end < len && key(end) == k {
            end += 1;
        }
        if k != 0 && end - start >= length {
            for mark in &mut marks[start..end] {
                mark.push(signal(k));
            }
        }
        start = end;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flagged(chart: &Chart) -> Vec<usize> {
        (0..chart.values.len())
            .filter(|i| !chart.signals[*i].is_empty())
            .collect()
    }

    #[test]
    fn limits_are_the_mean_plus_and_minus_2_66_mean_moving_ranges() {
        let chart = Chart::of(&[10.0, 12.0, 11.0, 13.0, 9.0]).unwrap();
        assert!((chart.mean - 11.0).abs() < 1e-9);
        // Moving ranges 2, 1, 2, 4: mean 2.25.
        assert!((chart.upper - (11.0 + 2.66 * 2.25)).abs() < 1e-9);
        assert!((chart.lower - (11.0 - 2.66 * 2.25)).abs() < 1e-9);
        assert!(flagged(&chart).is_empty(), "common cause variation only");
        assert!(Chart::of(&[4.0]).is_none());
    }

    #[test]
    fn a_point_beyond_the_limits_is_flagged_and_the_lower_limit_stops_at_zero() {
        let chart = Chart::of(&[3.0, 4.0, 3.0, 5.0, 4.0, 30.0]).unwrap();
        assert_eq!(flagged(&chart), [5]);
        assert_eq!(chart.signals[5], [Signal::AboveLimit]);
        assert!(chart.lower >= 0.0);
        assert!(chart.signals_high());
    }

    #[test]
    fn seven_points_on_one_side_of_the_mean_are_a_run() {
        // Six low months, then seven above the mean.
        let values = [
            2.0, 3.0, 2.0, 3.0, 2.0, 3.0, 6.0, 7.0, 6.0, 7.0, 6.0, 7.0, 6.0,
        ];
        let chart = Chart::of(&values).unwrap();
        for i in 6..13 {
            assert!(chart.signals[i].contains(&Signal::RunAbove), "point {i}");
        }
        // Six below is one short of a run.
        assert!(!chart.signals[0].contains(&Signal::RunBelow));
    }

    #[test]
    fn six_rising_points_are_a_trend_five_are_not() {
        let rising = Chart::of(&[5.0, 5.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 5.0]).unwrap();
        let trend: Vec<usize> = (0..9)
            .filter(|i| rising.signals[*i].contains(&Signal::RisingTrend))
            .collect();
        assert_eq!(trend, [2, 3, 4, 5, 6, 7]);
        let short = Chart::of(&[5.0, 5.0, 1.0, 2.0, 3.0, 4.0, 5.0, 4.0, 5.0]).unwrap();
        assert!(
            short
                .signals
                .iter()
                .flatten()
                .all(|s| *s != Signal::RisingTrend)
        );
    }
}

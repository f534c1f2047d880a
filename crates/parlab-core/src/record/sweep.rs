//! How speedup grows with workers: a sweep of runs against one baseline, and
//! the laws (Amdahl, Gustafson) that explain it.
//!
//! Invariant: every speedup here is measured against the same one-at-a-time
//! baseline, and the laws are pure functions of their arguments.

use serde::{Deserialize, Serialize};

use super::run::Run;
use crate::clock;
use crate::error::Result;

/// Speedup against worker count: one run per worker count, all measured
/// against the same one-at-a-time baseline.
///
/// ```
/// use parlab_core::prelude::*;
/// use parlab_core::record::Sweep;
/// # fn main() -> parlab_core::Result<()> {
/// # workload::set_scale(0.005)?;
/// let tasks: Vec<(u32, f64)> = (0..8).map(|i| (i, 1.0)).collect();
/// let (_, baseline) = Sequential::new().run(delayed_return_for, tasks.clone())?;
/// let sweep = Sweep::measure("sleeps on threads", baseline.wall, [1, 2, 4], |n| {
///     Ok(ThreadPool::new(n)?.run(delayed_return_for, tasks.clone())?.1)
/// })?;
/// assert_eq!(sweep.points().len(), 3);
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Sweep {
    /// What was swept, for titles.
    pub label: String,
    /// Wall seconds of the baseline (sequential) run.
    pub baseline: f64,
    /// One run per worker count.
    pub runs: Vec<Run>,
}

impl Sweep {
    /// Run `run_with(n)` for each worker count `n` and collect the runs.
    pub fn measure(
        label: impl Into<String>,
        baseline: f64,
        workers: impl IntoIterator<Item = usize>,
        mut run_with: impl FnMut(usize) -> Result<Run>,
    ) -> Result<Sweep> {
        let runs = workers.into_iter().map(&mut run_with).collect::<Result<Vec<Run>>>()?;
        Ok(Sweep { label: label.into(), baseline, runs })
    }

    /// `(workers, speedup against the baseline)` for each run.
    pub fn points(&self) -> Vec<(usize, f64)> {
        self.runs.iter().map(|r| (r.workers, if r.wall > 0.0 { self.baseline / r.wall } else { 0.0 })).collect()
    }

    /// The Amdahl serial fraction that best fits the points.
    pub fn serial_fraction(&self) -> Option<f64> {
        fit_serial_fraction(&self.points())
    }

    /// The serial fraction fitted to the points with at most `workers`
    /// workers — e.g. the machine's core count, since past it the workers
    /// queue for cores and that saturation would read as serial work.
    pub fn serial_fraction_up_to(&self, workers: usize) -> Option<f64> {
        let points: Vec<(usize, f64)> = self.points().into_iter().filter(|p| p.0 <= workers).collect();
        fit_serial_fraction(&points)
    }
}

/// Run `f` and return its result with the seconds it took (the seed's `timed`).
///
/// ```
/// let (sum, secs) = parlab_core::record::timed(|| (0..1000u64).sum::<u64>());
/// assert_eq!(sum, 499_500);
/// assert!(secs >= 0.0);
/// ```
pub fn timed<R>(f: impl FnOnce() -> R) -> (R, f64) {
    let start = clock::now_ns();
    let out = f();
    (out, clock::secs_between(start, clock::now_ns()))
}

/// Amdahl's law: the speedup on `workers` workers when `serial` of the work
/// (a fraction in `[0, 1]`) cannot run in parallel.
///
/// ```
/// use parlab_core::record::amdahl_speedup;
/// assert!((amdahl_speedup(0.2, 1_000_000) - 5.0).abs() < 0.01); // the 5x ceiling
/// ```
pub fn amdahl_speedup(serial: f64, workers: usize) -> f64 {
    let n = workers.max(1) as f64;
    1.0 / (serial + (1.0 - serial) / n)
}

/// Gustafson's law: the speedup on `workers` workers when the problem grows
/// with them and `serial` is the share of the *parallel run's* time spent on
/// serial work. Amdahl fixes the work and asks how fast; Gustafson fixes the
/// time and asks how much: `n - serial × (n - 1)`, which has no ceiling.
///
/// ```
/// use parlab_core::record::{amdahl_speedup, gustafson_speedup};
/// assert!((gustafson_speedup(0.2, 10) - 8.2).abs() < 1e-9); // Amdahl gives 3.6
/// assert!(amdahl_speedup(0.2, 10) < 3.6);
/// ```
pub fn gustafson_speedup(serial: f64, workers: usize) -> f64 {
    let n = workers.max(1) as f64;
    n - serial * (n - 1.0)
}

/// The serial fraction that best explains measured `(workers, speedup)` points
/// under Amdahl's law (least squares on `1/S - 1/n = s (1 - 1/n)`), clamped to `[0, 1]`.
/// `None` when no point has more than one worker.
///
/// ```
/// use parlab_core::record::{amdahl_speedup, fit_serial_fraction};
/// let points: Vec<(usize, f64)> = [1, 2, 4, 8].iter().map(|&n| (n, amdahl_speedup(0.1, n))).collect();
/// assert!((fit_serial_fraction(&points).unwrap() - 0.1).abs() < 1e-9);
/// ```
pub fn fit_serial_fraction(points: &[(usize, f64)]) -> Option<f64> {
    let (mut sxy, mut sxx) = (0.0, 0.0);
    for &(n, speedup) in points {
        if n < 2 || speedup <= 0.0 {
            continue;
        }
        let x = 1.0 - 1.0 / n as f64;
        let y = 1.0 / speedup - 1.0 / n as f64;
        sxy += x * y;
        sxx += x * x;
    }
    (sxx > 0.0).then(|| (sxy / sxx).clamp(0.0, 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gustafson_has_no_ceiling() {
        assert_eq!(gustafson_speedup(0.0, 8), 8.0);
        assert_eq!(gustafson_speedup(1.0, 8), 1.0);
        assert!(gustafson_speedup(0.1, 1000) > 900.0 && amdahl_speedup(0.1, 1000) < 10.0);
    }

    #[test]
    fn fit_ignores_single_worker_points() {
        assert_eq!(fit_serial_fraction(&[(1, 1.0)]), None);
        assert_eq!(fit_serial_fraction(&[(2, 2.0), (4, 4.0)]), Some(0.0));
    }
}

//! Flags several demos share, and the checks that turn an impossible value
//! into one clear sentence (exit 2) before anything runs.

use std::path::PathBuf;

use clap::builder::RangedU64ValueParser;
use clap::{Args, ValueEnum};

use crate::error::CliError;

/// `on` or `off` (for `--gil`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Switch {
    /// Enabled.
    On,
    /// Disabled.
    Off,
}

impl Switch {
    /// True for `on`.
    pub fn on(self) -> bool {
        self == Switch::On
    }
}

/// An approach to running tasks (for `--executor`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Approach {
    /// One task after another on the main thread.
    Sequential,
    /// A ThreadPool.
    Threads,
    /// A ProcessPool (started with Spawn).
    Processes,
    /// A HybridPool: processes × threads (started with Spawn).
    Hybrid,
}

/// The output flags every demo takes.
#[derive(Args, Debug, Clone)]
pub struct OutputArgs {
    /// Write the demo's charts as one figure to FILE (.png or .svg)
    #[arg(long, value_name = "FILE")]
    pub chart: Option<PathBuf>,
    /// Write each of the demo's charts to DIR, as both PNG and SVG
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
    /// Write the demo's runs to FILE as a Chrome trace (open it at https://ui.perfetto.dev or chrome://tracing)
    #[arg(long, value_name = "FILE")]
    pub trace: Option<PathBuf>,
    /// Print the run records as JSON on stdout (and nothing else on stdout)
    #[arg(long)]
    pub json: bool,
    /// Also print every run's per-task table (which task ran where, and when)
    #[arg(short, long)]
    pub verbose: bool,
}

/// The parser for a count that must be at least one (workers, tasks, chunk
/// size): clap refuses 0 before any demo starts, naming the flag and the range.
pub fn at_least_one() -> RangedU64ValueParser<usize> {
    RangedU64ValueParser::new().range(1..)
}

/// A non-empty list of worker counts (each is at least one by [`at_least_one`]).
pub fn worker_list(list: &[usize]) -> Result<Vec<usize>, CliError> {
    if list.is_empty() {
        return Err(CliError::impossible("--workers needs at least one worker count"));
    }
    Ok(list.to_vec())
}

/// Check `--scale` and make it the process-wide time scale (workers inherit it).
pub fn scale(s: f64) -> Result<f64, CliError> {
    if !(s.is_finite() && s > 0.0 && s <= 1000.0) {
        return Err(CliError::impossible(format!(
            "--scale must be a number in (0, 1000], got {s}: it multiplies every sleep and CPU size"
        )));
    }
    parlab::workload::set_scale(s)?;
    Ok(s)
}

/// The approaches asked for, in the demo's own order; errors on one it does not run.
pub fn approaches(given: &[Approach], allowed: &[Approach], demo: &str) -> Result<Vec<Approach>, CliError> {
    if let Some(bad) = given.iter().find(|a| !allowed.contains(a)) {
        let names: Vec<String> = allowed.iter().map(|a| name(*a)).collect();
        return Err(CliError::impossible(format!(
            "{demo} runs {}; --executor {} is not one of them",
            names.join(", "),
            name(*bad)
        )));
    }
    Ok(allowed.iter().copied().filter(|a| given.contains(a)).collect())
}

fn name(a: Approach) -> String {
    a.to_possible_value().map_or_else(|| format!("{a:?}"), |v| v.get_name().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn impossible_values_are_refused() {
        assert!(worker_list(&[]).is_err());
        let parse = |v: &str| {
            clap::Command::new("t").arg(clap::Arg::new("n").value_parser(at_least_one())).try_get_matches_from(["t", v])
        };
        assert!(parse("0").is_err());
        assert_eq!(parse("3").unwrap().get_one::<usize>("n"), Some(&3));
        assert!(scale(0.0).is_err() && scale(-1.0).is_err() && scale(f64::NAN).is_err());
    }

    #[test]
    fn approaches_keep_the_demo_order() {
        let all = [Approach::Threads, Approach::Processes];
        let got = approaches(&[Approach::Processes, Approach::Threads], &all, "x").unwrap();
        assert_eq!(got, all);
        let err = approaches(&[Approach::Hybrid], &all, "timing").unwrap_err();
        assert_eq!(err.one_line(), "timing runs threads, processes; --executor hybrid is not one of them");
    }
}

//! The advisor's face: run a sample, measure it, decide, and report.
//!
//! Invariant: an [`Advice`] holds the measured numbers and the run beside the
//! verdict drawn from them, so its report can show what every reason rests on.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::measurements::Measurements;
use super::probe;
use super::verdict::{Recommendation, Verdict, WorkloadClass};
use crate::error::{Error, Result};
use crate::executor::{Arg, Output};
use crate::record::Run;
use crate::units::{human_bytes, human_secs as secs};

/// What the advisor found: the verdict, the numbers behind it, and the sample's run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Advice {
    /// The decision and its reasons.
    pub verdict: Verdict,
    /// The measured numbers.
    pub measured: Measurements,
    /// The sample as it ran, one task at a time (for tables and charts).
    pub run: Run,
}

impl Advice {
    /// The kind of work.
    pub fn class(&self) -> WorkloadClass {
        self.verdict.class
    }

    /// What to use.
    pub fn recommendation(&self) -> Recommendation {
        self.verdict.recommendation
    }

    /// Evcxr shows advice as its text report.
    pub fn evcxr_display(&self) {
        println!("{self}");
    }
}

impl fmt::Display for Advice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (v, m) = (&self.verdict, &self.measured);
        writeln!(f, "Advice: {} → {}", v.class, v.recommendation)?;
        if let Some(alt) = v.alternative {
            writeln!(f, "   or: {alt}")?;
        }
        writeln!(f, "measured on {} tasks run one at a time; {} cores:", m.tasks, m.cores)?;
        write!(f, "  wall per task      {:>10}", secs(m.wall_per_task))?;
        match m.ready_wait_per_task {
            Some(r) => writeln!(f, "  (of which {} ready but not running)", secs(r))?,
            None => writeln!(f)?,
        }
        writeln!(f, "  CPU per task       {:>10}  (CPU/wall {:.2})", secs(m.cpu_per_task), m.cpu_ratio())?;
        writeln!(
            f,
            "  argument / result  {:>10}  / {} (postcard)",
            human_bytes(m.arg_bytes.round() as u128),
            human_bytes(m.result_bytes.round() as u128)
        )?;
        writeln!(
            f,
            "  transfer per task  {:>10}  ({:.1}% of the task; encode, socket round trip, decode; {} tasks timed)",
            secs(m.transfer_per_task),
            m.transfer_ratio() * 100.0,
            m.transfer_samples
        )?;
        write!(f, "why:")?;
        for r in &v.reasons {
            write!(f, "\n  - {r}")?;
        }
        Ok(())
    }
}

/// Configures the advisor; [`advise`] is `Advisor::new().advise(..)`.
#[derive(Clone, Debug)]
pub struct Advisor {
    cores: usize,
}

impl Default for Advisor {
    fn default() -> Self {
        Advisor::new()
    }
}

impl Advisor {
    /// Plan for this machine's cores (`std::thread::available_parallelism`).
    pub fn new() -> Advisor {
        Advisor { cores: std::thread::available_parallelism().map_or(1, |n| n.get()) }
    }

    /// Plan for `cores` cores instead (e.g. the machine the work will run on).
    pub fn cores(self, cores: usize) -> Result<Advisor> {
        if cores == 0 {
            return Err(Error::InvalidArgument("the advisor needs at least one core to plan for, got 0".into()));
        }
        Ok(Advisor { cores })
    }

    /// Run `sample` through `f` one at a time, measure it, and decide.
    ///
    /// Errors: an empty sample ([`Error::InvalidArgument`]), an argument or
    /// result that cannot be serialised ([`Error::Serialization`] — it could not
    /// cross to a process either), a task that panics ([`Error::Panicked`]), or
    /// an OS that reports no thread CPU time ([`Error::Unsupported`]).
    pub fn advise<A: Arg, R: Output>(&self, f: fn(A) -> R, sample: impl IntoIterator<Item = A>) -> Result<Advice> {
        let args: Vec<A> = sample.into_iter().collect();
        if args.is_empty() {
            return Err(Error::InvalidArgument(
                "the advisor needs a sample of at least one input to run and measure; the sample was empty".into(),
            ));
        }
        let (measured, run) = probe::measure(f, args, self.cores)?;
        Ok(Advice { verdict: Verdict::from_measurements(&measured), measured, run })
    }
}

/// Run `f` on `sample` one at a time, measure it and name the executor to use.
/// See the module docs for what is measured and the rules.
pub fn advise<A: Arg, R: Output>(f: fn(A) -> R, sample: impl IntoIterator<Item = A>) -> Result<Advice> {
    Advisor::new().advise(f, sample)
}

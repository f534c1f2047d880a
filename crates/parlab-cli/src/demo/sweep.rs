//! The worker sweep shared by `cpu-sweep` and `free-threaded`: one
//! sequential baseline of a CPU-bound task, then the same tasks on each pool
//! at each worker count, speedups against the baseline, and Amdahl's law
//! fitted to them.
//!
//! Invariant: every speedup is measured against the same sequential run of
//! the same tasks, so the lines in one chart are comparable.

use clap::ValueEnum;
use parlab::chart::{self, Chart};
use parlab::executor::Output;
use parlab::prelude::*;
use parlab::record::{Sweep, amdahl_speedup};

use super::pools::{process_pool, thread_pool};
use crate::error::CliError;
use crate::opts::{self, Approach};
use crate::output::{Ctx, secs};

/// The flags both sweeps (`cpu-sweep`, `free-threaded`) take.
#[derive(clap::Args, Debug)]
pub struct SweepArgs {
    /// Worker counts to measure (one or a list)
    #[arg(long, value_delimiter = ',', default_value = "1,2,4", value_parser = opts::at_least_one())]
    pub workers: Vec<usize>,
    /// Tasks at each worker count
    #[arg(long, default_value_t = 8, value_parser = opts::at_least_one())]
    pub tasks: usize,
    /// The CPU-bound task
    #[arg(long, value_enum, default_value_t = CpuWork::SumSquare)]
    pub workload: CpuWork,
    /// Time scale: sum squares below 10,000,000 × SCALE (factorize: 100,000,001 × SCALE + i)
    #[arg(long, default_value_t = 0.5, allow_negative_numbers = true)]
    pub scale: f64,
}

/// The CPU-bound task a sweep runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum CpuWork {
    /// cpu_task: sum of squares below 10,000,000 × scale — every task the same size
    SumSquare,
    /// long_factorize(i): the seed's count-down factor search — sizes vary a lot with i
    Factorize,
}

impl CpuWork {
    /// What the tasks are, for the header line.
    pub fn describe(self, tasks: u64) -> String {
        let scale = parlab::workload::scale();
        match self {
            CpuWork::SumSquare => format!("cpu_task × {tasks} (sum of squares below {:.0})", 10_000_000.0 * scale),
            CpuWork::Factorize => format!("long_factorize × {tasks} (factors of {:.0} + i)", 100_000_001.0 * scale),
        }
    }
}

/// `tasks` of `work` on a fresh thread pool of `n` threads.
pub fn on_threads(work: CpuWork, n: usize, gil: bool, tasks: u64) -> Result<Run> {
    let pool = thread_pool(n, gil)?;
    Ok(match work {
        CpuWork::SumSquare => pool.run(cpu_task, 0..tasks)?.1,
        CpuWork::Factorize => pool.run(long_factorize, 0..tasks)?.1,
    })
}

/// One line of a sweep: a kind of pool, GIL on or off.
#[derive(Clone, Copy, Debug)]
pub struct Line {
    pub approach: Approach,
    pub gil: bool,
}

impl Line {
    fn label(&self) -> String {
        match (self.approach, self.gil) {
            (Approach::Processes, _) => "ProcessPool (a GIL each)".into(),
            (_, true) => "ThreadPool, GIL on".into(),
            (_, false) => "ThreadPool, no GIL".into(),
        }
    }
}

/// The baseline and one sweep per line.
pub struct Outcome {
    pub baseline: Run,
    pub sweeps: Vec<Sweep>,
}

impl Outcome {
    /// Every run, baseline first.
    pub fn runs(&self) -> Vec<&Run> {
        std::iter::once(&self.baseline).chain(self.sweeps.iter().flat_map(|s| &s.runs)).collect()
    }

    /// One sweep chart per line.
    pub fn charts(&self) -> Result<Vec<(&'static str, Chart)>> {
        let names = ["sweep-1", "sweep-2", "sweep-3", "sweep-4"];
        self.sweeps.iter().zip(names).map(|(s, name)| Ok((name, chart::sweep(s)?))).collect()
    }
}

/// Measure the baseline and every line at every worker count, printing a table per line.
pub fn measure(ctx: &Ctx, work: CpuWork, workers: &[usize], tasks: u64, lines: &[Line]) -> Result<Outcome, CliError> {
    match work {
        CpuWork::SumSquare => measure_with(ctx, cpu_task, workers, tasks, lines),
        CpuWork::Factorize => measure_with(ctx, long_factorize, workers, tasks, lines),
    }
}

fn measure_with<R: Output>(
    ctx: &Ctx,
    f: fn(u64) -> R,
    workers: &[usize],
    tasks: u64,
    lines: &[Line],
) -> Result<Outcome, CliError> {
    let args = || 0..tasks;
    let (_, baseline) = ctx.step("Sequential baseline", || Ok(Sequential::new().run(f, args())?))?;
    ctx.say(format!("baseline: {tasks} tasks one after another took {}\n", secs(baseline.wall)));
    let bar = ctx.bar((lines.len() * workers.len()) as u64, "sweeping worker counts");
    let mut sweeps = Vec::new();
    for line in lines {
        let sweep = Sweep::measure(line.label(), baseline.wall, workers.iter().copied(), |n| {
            bar.set_message(format!("{} × {n}", line.label()));
            let run = match line.approach {
                Approach::Processes => process_pool(n, line.gil)?.run(f, args())?.1,
                _ => thread_pool(n, line.gil)?.run(f, args())?.1,
            };
            bar.inc(1);
            Ok(run)
        });
        let sweep = sweep?;
        ctx.say_over(&bar, table(&sweep));
        sweeps.push(sweep);
    }
    bar.finish_and_clear();
    Ok(Outcome { baseline, sweeps })
}

fn table(sweep: &Sweep) -> String {
    let mut out = format!("{}\n  {:>7} {:>10} {:>9} {:>11}", sweep.label, "workers", "wall", "speedup", "efficiency");
    for (run, (n, speedup)) in sweep.runs.iter().zip(sweep.points()) {
        out.push_str(&format!(
            "\n  {n:>7} {:>10} {speedup:>8.2}x {:>10.0}%",
            secs(run.wall),
            100.0 * speedup / n as f64
        ));
    }
    match sweep.serial_fraction() {
        Some(s) if s > 0.0 => {
            let most = sweep.points().iter().map(|p| p.0).max().unwrap_or(1);
            out.push_str(&format!(
                "\n  Amdahl fit: serial fraction {s:.2} → {:.2}x at {most} workers, at most {:.1}x with any number\n",
                amdahl_speedup(s, most),
                1.0 / s
            ));
        }
        Some(_) => out.push_str("\n  Amdahl fit: serial fraction 0.00 — as fast as ideal at every count measured\n"),
        None => out.push_str("\n  (measure more than one worker to fit Amdahl's law)\n"),
    }
    out
}

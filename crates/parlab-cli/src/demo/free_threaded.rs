//! `parlab free-threaded` — seed 001's demo_1d (free-threaded Python 3.14t).
//!
//! Shows: the CPU-bound sweep of `cpu-sweep` (sum of squares by default, or
//! the seed's `long_factorize`) with the GIL gone, as in a
//! free-threaded build (and as Rust threads always are): threads now scale
//! like processes, while sharing memory and copying nothing. A GIL-on thread
//! pool at the largest worker count is run too, for contrast.

use clap::Args as ClapArgs;

use super::sweep::{self, Line, SweepArgs};
use crate::error::CliError;
use crate::opts::{self, Approach, OutputArgs};
use crate::output::{Ctx, secs};

/// Flags of `parlab free-threaded`.
#[derive(ClapArgs, Debug)]
pub struct Args {
    #[command(flatten)]
    sweep: SweepArgs,
    /// Which pools to sweep (one or a list)
    #[arg(long, value_enum, value_delimiter = ',', default_value = "threads,processes")]
    executor: Vec<Approach>,
    #[command(flatten)]
    out: OutputArgs,
}

/// Run demo_1d.
pub fn run(args: Args) -> Result<(), CliError> {
    let approaches = opts::approaches(&args.executor, &[Approach::Threads, Approach::Processes], "free-threaded")?;
    let workers = opts::worker_list(&args.sweep.workers)?;
    let tasks = args.sweep.tasks as u64;
    opts::scale(args.sweep.scale)?;
    let ctx = Ctx::new("free-threaded", args.out)?;
    ctx.say(format!("{}, no GIL, workers {workers:?}", args.sweep.workload.describe(tasks)));
    let lines: Vec<Line> = approaches.iter().map(|&approach| Line { approach, gil: false }).collect();
    let outcome = sweep::measure(&ctx, args.sweep.workload, &workers, tasks, &lines)?;

    let most = workers.iter().copied().max().unwrap_or(1);
    let contrast = if approaches.contains(&Approach::Threads) {
        let run = ctx.step("ThreadPool with the GIL, for contrast", || {
            Ok(sweep::on_threads(args.sweep.workload, most, true, tasks)?)
        })?;
        ctx.say(format!(
            "for contrast, {} took {} ({:.2}x) — the GIL is what held threads back",
            run.label,
            secs(run.wall),
            outcome.baseline.wall / run.wall.max(f64::MIN_POSITIVE)
        ));
        Some(run)
    } else {
        None
    };
    ctx.say("Without a GIL, threads compute at once like processes do, and read shared data without copies.");
    let mut runs = outcome.runs();
    runs.extend(contrast.as_ref());
    ctx.finish(&runs, &runs, || outcome.charts())
}

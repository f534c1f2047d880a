//! `parlab cpu-sweep` — seed 001's demo_1c.
//!
//! Shows: CPU-bound work gains nothing from threads under
//! a GIL — they take turns — while processes, each with its own GIL, speed up
//! with the worker count until they run out of cores. Each line's speedups are
//! fitted with Amdahl's law; the charts show measured points, the ideal line
//! and the fitted curve.
//!
//! The default task is the seed's other CPU loop, `cpu_task` (sum of squares),
//! because its tasks are all the same size; `--workload factorize` runs
//! demo_1c's `long_factorize`, whose count-down searches differ wildly in
//! length (an even number stops at once), which blurs the sweep.

use clap::Args as ClapArgs;

use super::sweep::{self, Line, SweepArgs};
use crate::error::CliError;
use crate::opts::{self, Approach, OutputArgs, Switch};
use crate::output::Ctx;

/// Flags of `parlab cpu-sweep`.
#[derive(ClapArgs, Debug)]
pub struct Args {
    #[command(flatten)]
    sweep: SweepArgs,
    /// The simulated GIL of the thread pool (off: see free-threaded)
    #[arg(long, value_enum, default_value_t = Switch::On)]
    gil: Switch,
    /// Which pools to sweep (one or a list)
    #[arg(long, value_enum, value_delimiter = ',', default_value = "threads,processes")]
    executor: Vec<Approach>,
    #[command(flatten)]
    out: OutputArgs,
}

/// Run demo_1c.
pub fn run(args: Args) -> Result<(), CliError> {
    let approaches = opts::approaches(&args.executor, &[Approach::Threads, Approach::Processes], "cpu-sweep")?;
    let workers = opts::worker_list(&args.sweep.workers)?;
    let tasks = args.sweep.tasks as u64;
    opts::scale(args.sweep.scale)?;
    let ctx = Ctx::new("cpu-sweep", args.out)?;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    ctx.say(format!("{} on {cores} cores, workers {workers:?}", args.sweep.workload.describe(tasks)));
    let lines: Vec<Line> = approaches.iter().map(|&approach| Line { approach, gil: args.gil.on() }).collect();
    let outcome = sweep::measure(&ctx, args.sweep.workload, &workers, tasks, &lines)?;
    ctx.say(
        "Under a GIL, threads take turns computing: adding threads adds no speed. Each process has its own\n\
         GIL, so processes compute at once — up to the number of cores.",
    );
    let runs = outcome.runs();
    ctx.finish(&runs, &runs, || outcome.charts())
}

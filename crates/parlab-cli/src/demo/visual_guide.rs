//! `parlab visual-guide` — seed 000, the "Python Parallelism — Visual Guide".
//!
//! Shows: the same 14 tasks of 2 s (sleeps, which release the GIL) under four
//! approaches — Sequential, ProcessPool(3), Hybrid(3 processes × 3 threads),
//! ThreadPool(14) — with the simulated GIL on, as CPython runs them. Waiting
//! work overlaps on threads, so 14 threads finish in about one task's time,
//! while 3 processes need five rounds. Charts: the four timelines, and the
//! guide's speedup table as bars.

use clap::Args as ClapArgs;
use parlab::prelude::*;

use super::pools::{hybrid_pool, process_pool, thread_pool};
use crate::error::CliError;
use crate::opts::{self, Approach, OutputArgs, Switch};
use crate::output::Ctx;

const TASKS: usize = 14;
const SECONDS: f64 = 2.0;
/// What the guide measured, in its order: Sequential, ProcessPool, Hybrid, ThreadPool.
const GUIDE: [f64; 4] = [28.09, 10.61, 4.54, 2.15];

/// Flags of `parlab visual-guide`.
#[derive(ClapArgs, Debug)]
pub struct Args {
    /// Time scale: each task sleeps 2 s × SCALE
    #[arg(long, default_value_t = 0.1, allow_negative_numbers = true)]
    scale: f64,
    /// The simulated GIL (sleeping releases it, so threads still overlap)
    #[arg(long, value_enum, default_value_t = Switch::On)]
    gil: Switch,
    /// Which approaches to run (one or a list)
    #[arg(long, value_enum, value_delimiter = ',', default_value = "sequential,processes,hybrid,threads")]
    executor: Vec<Approach>,
    #[command(flatten)]
    out: OutputArgs,
}

/// Run the guide's experiment.
pub fn run(args: Args) -> Result<(), CliError> {
    let all = [Approach::Sequential, Approach::Processes, Approach::Hybrid, Approach::Threads];
    let approaches = opts::approaches(&args.executor, &all, "visual-guide")?;
    let scale = opts::scale(args.scale)?;
    let ctx = Ctx::new("visual-guide", args.out)?;
    let gil = args.gil.on();
    let tasks: Vec<(usize, f64)> = (1..=TASKS).map(|i| (i, SECONDS)).collect();
    ctx.say(format!(
        "{TASKS} tasks × {SECONDS} s, time scale {scale} (each task sleeps {:.3} s), GIL {}\n",
        SECONDS * scale,
        if gil { "on" } else { "off" }
    ));

    let mut runs = Vec::new();
    for approach in &approaches {
        let run = match approach {
            Approach::Sequential => {
                ctx.step("Sequential", || Ok(Sequential::new().run(delayed_return_for, tasks.clone())?.1))?
            }
            Approach::Processes => {
                ctx.step("ProcessPool(3)", || Ok(process_pool(3, gil)?.run(delayed_return_for, tasks.clone())?.1))?
            }
            Approach::Hybrid => {
                ctx.step("Hybrid(3×3)", || Ok(hybrid_pool(3, 3, gil)?.run(delayed_return_for, tasks.clone())?.1))?
            }
            Approach::Threads => {
                ctx.step("ThreadPool(14)", || Ok(thread_pool(TASKS, gil)?.run(delayed_return_for, tasks.clone())?.1))?
            }
        };
        runs.push(run);
    }

    let refs: Vec<&Run> = runs.iter().collect();
    ctx.say(compare(refs.iter().copied()));
    ctx.say("Scaled back to the guide's seconds (wall ÷ scale), next to what the guide measured in Python:");
    for (approach, run) in approaches.iter().zip(&runs) {
        let guide = all.iter().position(|a| a == approach).map_or(0.0, |i| GUIDE[i]);
        ctx.say(format!("  {:<30} {:>7.2} s   (guide: {guide:.2} s)", run.label, run.wall / scale));
    }
    if gil {
        ctx.say("\nThe tasks sleep, and sleeping releases the GIL: threads overlap their waits even under it.");
    }
    ctx.finish(&runs, &refs, || Ok(vec![("timelines", chart::timelines(&refs)?), ("speedup", chart::speedup(&refs)?)]))
}

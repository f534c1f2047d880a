//! rayon's own `par_iter`, recorded like a pool: which rayon worker ran each
//! item, and when, so a timeline can show work stealing.
//!
//! Invariant: [`par_run`] builds its rayon pool, runs the items on it and
//! drops it inside the one call, so the pool is only ever touched by the copy
//! of rayon that built it (a notebook cell links its own copy; see the module
//! docs of `executor`). Every item leaves exactly one record, lane
//! `T{rayon::current_thread_index() + 1}`, even if it panicked.
//!
//! ```
//! use parlab_core::prelude::*;
//! # fn main() -> parlab_core::Result<()> {
//! let (squares, run) = par_run(2, 1, |x: u64| x * x, 0..8)?;
//! assert_eq!(squares, [0, 1, 4, 9, 16, 25, 36, 49]);
//! assert_eq!(run.tasks.len(), 8);
//! assert!(run.lanes().iter().all(|lane| lane.thread < 2));
//! # Ok(()) }
//! ```

use std::fmt::Debug;

use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::executor::local::label;
use crate::executor::local::run_item;
use crate::record::{ExecutorKind, Journal, Lane, Run};

/// Map `f` over `args` with rayon's `par_iter` on a pool of `workers` threads,
/// splitting no piece below `min_len` items (rayon's `with_min_len`), and
/// return the results in order with the [`Run`] recorded.
///
/// rayon splits the items into pieces as it goes, and an idle worker *steals*
/// half of a busy worker's remaining piece, so uneven items even out; a larger
/// `min_len` means fewer, bigger pieces: less splitting overhead, less balance.
/// The result is the first panic, in item order, as [`Error::Panicked`].
pub fn par_run<A, R, F>(
    workers: usize,
    min_len: usize,
    f: F,
    args: impl IntoIterator<Item = A>,
) -> Result<(Vec<R>, Run)>
where
    A: Debug + Send,
    R: Send,
    F: Fn(A) -> R + Send + Sync,
{
    if workers == 0 {
        return Err(Error::ZeroWorkers);
    }
    if min_len == 0 {
        return Err(Error::ZeroChunksize);
    }
    let args: Vec<A> = args.into_iter().collect();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(workers)
        .thread_name(|i| format!("parlab-rayon-{i}"))
        .build()
        .map_err(|e| Error::Os(format!("could not start threads: {e}")))?;
    let journal = Journal::default();
    let first = journal.reserve(args.len());
    let pid = std::process::id();
    let results: Vec<Result<R>> = pool.install(|| {
        args.into_par_iter()
            .enumerate()
            .with_min_len(min_len)
            .map(|(i, arg)| {
                let lane = Lane { worker: 0, thread: rayon::current_thread_index().unwrap_or(0), pid, host: 0 };
                let text = label(&arg);
                run_item(&f, arg, first + i, text, lane, &journal)
            })
            .collect()
    });
    let name = if min_len == 1 {
        format!("rayon par_iter({workers})")
    } else {
        format!("rayon par_iter({workers}, min_len {min_len})")
    };
    let run = journal.take(name, ExecutorKind::Threads, workers);
    let values = results.into_iter().collect::<Result<Vec<R>>>()?;
    Ok((values, run))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_input_is_an_error() {
        assert_eq!(par_run(0, 1, |x: u32| x, 0..4).unwrap_err(), Error::ZeroWorkers);
        assert_eq!(par_run(2, 0, |x: u32| x, 0..4).unwrap_err(), Error::ZeroChunksize);
    }

    #[test]
    fn a_panic_is_an_error_and_every_item_is_recorded() {
        let out = par_run(2, 1, |x: u32| if x == 3 { panic!("three") } else { x }, 0..6);
        assert!(matches!(out, Err(Error::Panicked(ref m)) if m == "three"), "{out:?}");
    }

    #[test]
    fn min_len_keeps_pieces_whole() {
        // With min_len = the whole input, rayon may not split it: one worker runs everything.
        let (_, run) = par_run(2, 8, |x: u64| x, 0..8).unwrap();
        assert_eq!(run.lanes().len(), 1, "{run:?}");
        assert_eq!(run.label, "rayon par_iter(2, min_len 8)");
        let indices: Vec<usize> = run.tasks.iter().map(|t| t.index).collect();
        assert_eq!(indices, (0..8).collect::<Vec<_>>());
    }

    #[test]
    fn an_idle_worker_steals_what_a_busy_one_has_not_started() {
        // Item 0 sleeps 20 times as long as the others. Fixed halves would give
        // its worker items 0..4; stealing leaves it item 0 and, at most, one more.
        let nap = |ms: u64| std::thread::sleep(std::time::Duration::from_millis(ms));
        let (_, run) = par_run(2, 1, |x: u64| nap(if x == 0 { 200 } else { 10 }), 0..8).unwrap();
        let slow = run.tasks[0].lane;
        let on_slow = run.tasks.iter().filter(|t| t.lane == slow).count();
        assert!(on_slow <= 2, "the slow item's worker ran {on_slow} of 8 items: {run:?}");
    }
}

//! Exercises of `work_stealing.ipynb`: a `with_min_len` that keeps rayon
//! balanced, and an order that makes fixed chunks fair.

use super::feedback::{Feedback, Solution};
use parlab_core::Result;
use parlab_core::check::{self, Check};
use parlab_core::executor::{Executor, ThreadPool, par_run};
use parlab_core::record::Run;
use parlab_core::workload::long_factorize_from;

/// Tries per check: a worker thread started late by a busy machine can
/// unbalance one run (never balance a broken one).
const TRIES: usize = 3;

/// The first balanced verdict of up to [`TRIES`] runs, or the last
/// unbalanced one; an error if a run could not be made.
fn first_balanced(mut attempt: impl FnMut() -> Result<Run>) -> std::result::Result<Check, String> {
    let mut last = None;
    for _ in 0..TRIES {
        let verdict = check::balanced(&attempt().map_err(|e| e.to_string())?);
        if verdict.passed() {
            return Ok(verdict);
        }
        last = Some(verdict);
    }
    last.ok_or_else(|| "no run".to_string())
}

/// Exercise 1: rayon on `workers` threads with pieces of at least `min_len`
/// of `args` must share the skewed work out evenly (judged on each worker's
/// CPU time, which load does not change).
pub fn check_1(workers: usize, args: &[(u64, u64)], min_len: usize) -> Feedback {
    if workers < 2 || args.len() < 2 {
        return Feedback::not_yet(format!(
            "balance needs 2+ workers and 2+ tasks ({workers} workers, {} tasks)",
            args.len()
        ));
    }
    if min_len == 0 {
        return Feedback::not_yet("with_min_len(0) means no limit at all: rayon wants at least 1");
    }
    let verdict = match first_balanced(|| Ok(par_run(workers, min_len, long_factorize_from, args.to_vec())?.1)) {
        Ok(v) => v,
        Err(e) => return Feedback::not_yet(format!("par_run failed: {e}")),
    };
    let pieces = args.len().div_ceil(min_len);
    if verdict.passed() {
        Feedback::right(format!(
            "with_min_len({min_len}) — {} — pieces small enough for an idle worker to steal part of the heavy end",
            verdict.text()
        ))
    } else {
        Feedback::not_yet(format!(
            "with_min_len({min_len}) allows at most {pieces} pieces of {} tasks — {}. Pieces that big cannot be \
             split for a thief: lower min_len",
            args.len(),
            verdict.text()
        ))
    }
}

/// Exercise 2: `order` is `args` rearranged so that a FIFO pool of `workers`
/// threads handed `workers` fixed chunks (`map_chunked` with chunks of
/// ⌈len / workers⌉) shares the work out evenly.
pub fn check_2(workers: usize, args: &[(u64, u64)], order: &[(u64, u64)]) -> Feedback {
    if workers < 2 || args.len() < 2 {
        return Feedback::not_yet(format!(
            "balance needs 2+ workers and 2+ tasks ({workers} workers, {} tasks)",
            args.len()
        ));
    }
    let (mut a, mut b) = (args.to_vec(), order.to_vec());
    a.sort_unstable();
    b.sort_unstable();
    if a != b {
        return Feedback::not_yet("your order must hold exactly the tasks of `args`, each once, only rearranged");
    }
    let chunk = order.len().div_ceil(workers);
    let verdict = match first_balanced(|| {
        Ok(ThreadPool::new(workers)?.run_chunked(long_factorize_from, order.to_vec(), chunk)?.1)
    }) {
        Ok(v) => v,
        Err(e) => return Feedback::not_yet(format!("the pool failed: {e}")),
    };
    if verdict.passed() {
        Feedback::right(format!(
            "{} — each fixed chunk got its share of the heavy tasks. It works because you knew the costs in advance; \
             work stealing balances without knowing them",
            verdict.text()
        ))
    } else {
        Feedback::not_yet(format!(
            "{} — each chunk of {chunk} consecutive tasks must hold about the same work: mix heavy and light tasks \
             in every chunk, rather than cutting the sorted list in halves",
            verdict.text()
        ))
    }
}

/// The solution of exercise `n`, shown only when asked for.
pub fn solution(n: usize) -> Solution {
    match n {
        1 => Solution::new(
            "Exercise 1: a with_min_len that keeps the balance",
            include_str!("solutions/work_stealing_1.rs"),
            "With pieces of one task (or a few), a worker that runs out can always steal the unstarted half of the \
             other's piece. Raise min_len only when items are tiny and the splitting shows in a profile.",
        ),
        2 => Solution::new(
            "Exercise 2: an order that makes fixed chunks fair",
            include_str!("solutions/work_stealing_2.rs"),
            "Dealing sorted tasks round robin puts one prime, one multiple of 3 and one even value in each chunk in \
             turn, so the chunks weigh the same. It needs the costs to be known and sorted; stealing does not.",
        ),
        _ => Solution::unknown("work_stealing", n, 2),
    }
}

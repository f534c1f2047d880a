//! Exercises of `demo_2_freethreaded.ipynb`: a task that releases the GIL as
//! NumPy does, and how many cores an algorithm is worth.

use super::{Feedback, Solution};
use crate::Result;
use crate::executor::ThreadPool;
use crate::graph::Graph;

/// How many of the questions exercise 1 runs.
const ASKED: usize = 60;
/// Average tasks under way at once (their work, not counting GIL waits, over
/// the wall time) that two threads computing at once reach; one at a time
/// gives about 1 however busy the machine is.
const TOGETHER: f64 = 1.4;

/// Exercise 1: `task((i, j))` answers a question with the product method
/// while releasing the GIL, as a C extension such as NumPy does. Two
/// GIL-on threads running it must compute at the same time.
pub fn check_1<F>(graph: &Graph, pairs: &[(usize, usize)], max_hop: usize, task: F) -> Feedback
where
    F: Fn((usize, usize)) -> Result<Option<usize>> + Send + Sync + 'static,
{
    let asked: Vec<(usize, usize)> = pairs.iter().copied().take(ASKED).collect();
    if asked.len() < 4 {
        return Feedback::not_yet(format!("the check needs at least 4 pairs, got {}", asked.len()));
    }
    let want: Vec<Option<usize>> = match asked.iter().map(|&(i, j)| graph.path_distance(i, j, max_hop)).collect() {
        Ok(w) => w,
        Err(e) => return Feedback::not_yet(format!("the pairs are not questions for this graph: {e}")),
    };
    let task = std::sync::Arc::new(task);
    let mut seen = Vec::new();
    for _ in 0..3 {
        let t = std::sync::Arc::clone(&task);
        let out = ThreadPool::new(2).and_then(|p| p.gil(true).run(move |q: (usize, usize)| t(q), asked.clone()));
        let (got, run) = match out {
            Ok(out) => out,
            Err(e) => return Feedback::not_yet(format!("the pool could not run the task: {e}")),
        };
        let got: Vec<Option<usize>> = match got.into_iter().collect() {
            Ok(g) => g,
            Err(e) => return Feedback::not_yet(format!("the task failed: {e}")),
        };
        if got != want {
            return Feedback::not_yet(
                "the task's distances differ from graph.path_distance: keep the computation, only release the GIL around it",
            );
        }
        let share = run.gil_wait() / run.task_time().max(1e-9);
        if run.concurrency() >= TOGETHER {
            return Feedback::right(format!(
                "{:.2} questions computing at once on average, {:.0}% of the time waiting for the GIL: the lock was \
                 free while the product ran, so both threads computed, GIL on",
                run.concurrency(),
                100.0 * share
            ));
        }
        seen.push((run.concurrency(), share));
    }
    let (c, share) = seen.last().copied().unwrap_or_default();
    let waits = if share < 0.05 {
        "a question is shorter than the GIL's 5 ms switch interval, so each thread waited for the lock between \
         questions, where no task's record sees it"
            .to_string()
    } else {
        format!("{:.0}% of the tasks' time went to waiting for the GIL", 100.0 * share)
    };
    Feedback::not_yet(format!(
        "{c:.2} questions computing at once on average: the threads took turns ({waits}). Wrap the product in \
         gil::released(|| …) so the GIL is free while it runs"
    ))
}

/// Exercise 2: how many cores the product method would need to match the
/// bitset search on one, from the time of one question each way.
pub fn check_2(product_secs: f64, bitset_secs: f64, cores_needed: usize) -> Feedback {
    if !(product_secs > 0.0 && bitset_secs > 0.0) {
        return Feedback::not_yet(format!(
            "both times must be measured and positive ({product_secs} s, {bitset_secs} s)"
        ));
    }
    let want = (product_secs / bitset_secs).ceil().max(1.0) as usize;
    let slack = (want / 20).max(1);
    if cores_needed.abs_diff(want) <= slack {
        Feedback::right(format!(
            "about {want} cores, at perfect scaling: the product takes {:.3} ms a question, the bitset {:.4} ms. \
             No core count on this machine comes near; removing work did",
            product_secs * 1e3,
            bitset_secs * 1e3
        ))
    } else {
        Feedback::not_yet(format!(
            "{cores_needed} cores: n cores divide the product's time by n at best, so n must reach product time / \
             bitset time"
        ))
    }
}

/// The solution of exercise `n`, shown only when asked for.
pub fn solution(n: usize) -> Solution {
    match n {
        1 => Solution::new(
            "Exercise 1: release the GIL around the product",
            include_str!("solutions/demo_2_freethreaded_1.rs"),
            "gil::released frees the lock for the call, as NumPy does inside its C loops; the threads then compute \
             at once even with the GIL on. So this notebook's 'GIL on' run models pure-Python loops, not NumPy.",
        ),
        2 => Solution::new(
            "Exercise 2: how many cores an algorithm is worth",
            include_str!("solutions/demo_2_freethreaded_2.rs"),
            "Perfect scaling divides by n, so n = product time / bitset time — and real scaling is worse (bandwidth, \
             lesson 14).",
        ),
        _ => Solution::unknown("demo_2_freethreaded", n, 2),
    }
}

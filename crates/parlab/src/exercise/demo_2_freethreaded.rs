//! Exercises of `demo_2_freethreaded.ipynb`: a task that releases the GIL as
//! NumPy does, and how many cores an algorithm is worth.

use super::feedback::{Feedback, Solution};
use parlab_core::Result;
use parlab_core::executor::ThreadPool;
use parlab_core::graph::Graph;
use parlab_core::record::Run;

/// How many of the questions exercise 1 runs.
const ASKED: usize = 60;

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
        let out =
            ThreadPool::new(2).and_then(|p| p.gil(true).run_closure(move |q: (usize, usize)| t(q), asked.clone()));
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
        let overlap = computed_together(&run);
        if overlap.actual >= 0.5 * overlap.chance && overlap.chance >= MIN_BUSY {
            return Feedback::right(format!(
                "{:.0}% of the questions' time computed while the other thread computed too (threads working \
                 independently, as busy as these, would give {:.0}%): the GIL was free while the product ran, so \
                 both threads computed, GIL on",
                100.0 * overlap.actual,
                100.0 * overlap.chance
            ));
        }
        seen.push(overlap);
    }
    let last = seen.last().copied().unwrap_or(Overlap { actual: 0.0, chance: 0.0 });
    Feedback::not_yet(format!(
        "{:.0}% of the questions' time computed while the other thread computed too, where independent threads \
         would give {:.0}%: the threads took turns at the GIL. Wrap the product in gil::released(|| …) so the GIL \
         is free while it runs",
        100.0 * last.actual,
        100.0 * last.chance
    ))
}

/// Below this share of the run, a thread was too seldom inside a task for
/// any overlap to be expected (a machine so busy that nothing can be told).
const MIN_BUSY: f64 = 0.05;

/// How much two threads' work overlapped, against chance.
#[derive(Clone, Copy, Debug)]
struct Overlap {
    /// Share of the tasks' time spent computing (not waiting for the GIL)
    /// while the other thread had a task under way.
    actual: f64,
    /// The same share if the threads were busy as much as they were, at
    /// random moments: what independent threads give.
    chance: f64,
}

/// Under one GIL at most one thread runs task code at a time: a task's span
/// overlaps the other thread's only while it waits for the lock, so its
/// overlap minus its GIL wait is about 0 however busy the machine. Threads
/// that release the GIL overlap as much as their busy time allows — judged
/// against chance, since a busy machine leaves them idle between tasks.
fn computed_together(run: &Run) -> Overlap {
    let lanes = run.lanes();
    let spans = |lane: &parlab_core::record::Lane| -> Vec<(f64, f64)> {
        let mut v: Vec<(f64, f64)> = run.tasks.iter().filter(|t| t.lane == *lane).map(|t| (t.start, t.end)).collect();
        v.sort_by(|a, b| a.0.total_cmp(&b.0));
        v
    };
    let (mut actual, mut chance, mut total) = (0.0, 0.0, 0.0);
    for lane in &lanes {
        let others: Vec<(f64, f64)> = lanes.iter().filter(|l| *l != lane).flat_map(spans).collect();
        let busy: f64 = others.iter().map(|s| s.1 - s.0).sum::<f64>() / run.wall.max(1e-9);
        for t in run.tasks.iter().filter(|t| t.lane == *lane) {
            let shared: f64 = others.iter().map(|&(a, b)| (t.end.min(b) - t.start.max(a)).max(0.0)).sum();
            actual += (shared - t.gil_wait).max(0.0);
            chance += t.duration() * busy.min(1.0);
            total += t.duration();
        }
    }
    if total <= 0.0 {
        Overlap { actual: 0.0, chance: 0.0 }
    } else {
        Overlap { actual: actual / total, chance: chance / total }
    }
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

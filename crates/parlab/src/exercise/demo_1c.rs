//! Exercises of `demo_1c.ipynb`: a CPU closure of your own that hands the GIL
//! over, and Amdahl's bound for a fitted serial fraction.

use super::feedback::close;
use super::feedback::{Feedback, Solution};
use parlab_core::executor::ThreadPool;
use parlab_core::record::{Run, amdahl_speedup};
use parlab_core::workload::is_prime;

/// A task of exercise 1 should compute for at least this long (seconds), a
/// few of the GIL's 5 ms switch intervals.
const TASK_SECS: f64 = 0.04;

/// How many primes are below `n`: the reference answer of exercise 1.
pub fn primes_below(n: u64) -> u64 {
    (0..n).filter(|&x| is_prime(x)).count() as u64
}

/// The smallest power-of-two multiple of 10 000 whose count takes
/// [`TASK_SECS`] on one thread, and that count. (Timing sizes the task here;
/// it judges nothing.)
fn sized_task() -> (u64, u64) {
    let mut n = 10_000;
    loop {
        let (count, secs) = parlab_core::record::timed(|| primes_below(n));
        if secs >= TASK_SECS || n >= 1 << 30 {
            return (n, count);
        }
        n *= 2;
    }
}

/// Exercise 1: `task(n)` counts the primes below `n`, calling `gil::tick()`
/// in its loop. Two of them on a GIL-on pool of 2 threads must take turns:
/// each waits part of its span while the other holds the lock.
pub fn check_1<F>(task: F) -> Feedback
where
    F: Fn(u64) -> u64 + Send + Sync + 'static,
{
    let (n, want) = sized_task();
    let task = std::sync::Arc::new(task);
    let mut last = None;
    for _ in 0..3 {
        let t = std::sync::Arc::clone(&task);
        let out = ThreadPool::new(2).and_then(|p| {
            let p = p.gil(true);
            let (values, run) = p.run_closure(move |x: u64| t(x), [n, n])?;
            Ok((values, run, p.gil_switches()))
        });
        let (values, run, switches) = match out {
            Ok(out) => out,
            Err(e) => return Feedback::not_yet(format!("the pool could not run the task: {e}")),
        };
        if values.iter().any(|&v| v != want) {
            return Feedback::not_yet(format!(
                "task({n}) must count the primes below {n}, {want}; it returned {values:?}"
            ));
        }
        // The pool takes the GIL before a task's clock starts, so tasks that
        // never hand it over run one after the other; a busy machine may
        // also start the second thread late, hence three tries.
        if overlapped(&run) {
            return judge_turns(&run, switches);
        }
        last = Some(run);
    }
    let spans = last.map(|r| r.tasks.iter().map(|t| format!("{:.3}–{:.3} s", t.start, t.end)).collect::<Vec<_>>());
    Feedback::not_yet(format!(
        "in three runs the second task only started when the first had ended ({}): the first held the GIL from \
         start to end. parlab's GIL is cooperative — call gil::tick() inside the loop so the holder hands it over \
         every 5 ms",
        spans.map(|s| s.join(", then ")).unwrap_or_default()
    ))
}

/// Whether the two tasks' spans overlap for most of the shorter one.
fn overlapped(run: &Run) -> bool {
    let [a, b] = run.tasks.as_slice() else { return false };
    let common = a.end.min(b.end) - a.start.max(b.start);
    common > 0.5 * a.duration().min(b.duration())
}

/// Spans that overlap under one GIL mean it changed hands mid-task: either
/// the holder was made to yield in `gil::tick` (a forced switch, which the
/// GIL counts), or a task let it go of its own accord (`gil::released`) and
/// never computed under it. Only the count tells the two apart; GIL-wait
/// shares do not (a busy machine can keep a task waiting to take the GIL back
/// after `released` for a quarter of its span).
fn judge_turns(run: &Run, switches: u64) -> Feedback {
    let shares = run.tasks.iter().map(|t| format!("{:.0}%", 100.0 * t.gil_wait / t.duration().max(1e-9)));
    let shown = shares.collect::<Vec<_>>().join(" and ");
    if switches > 0 {
        Feedback::right(format!(
            "the GIL was handed over {switches} time(s) mid-task and the tasks waited for it {shown} of their spans: \
             they took turns every switch interval, as CPython's threads do, because your loop calls gil::tick"
        ))
    } else {
        Feedback::not_yet(format!(
            "the tasks ran side by side, but the GIL was never handed over mid-task (waits: {shown}): your task \
             let go of the GIL for its whole count, as C code that releases it does — a Python loop never does. \
             Keep the GIL and call gil::tick() inside the loop, so the holder hands it over every 5 ms"
        ))
    }
}

/// Exercise 2: with serial fraction `s`, the most any number of workers can
/// give (`ceiling`, 1 / s) and what 8 workers give (`at_8`).
pub fn check_2(s: f64, ceiling: f64, at_8: f64) -> Feedback {
    if !(0.0..=1.0).contains(&s) {
        return Feedback::not_yet(format!("a serial fraction lies between 0 and 1, got {s}"));
    }
    let want_ceiling = if s > 0.0 { 1.0 / s } else { f64::INFINITY };
    let want_8 = amdahl_speedup(s, 8);
    let c = if close(ceiling, want_ceiling, 0.02) {
        Feedback::right(format!(
            "ceiling {ceiling:.2}x = 1 / s: however many workers, the serial part still takes s of the time"
        ))
    } else {
        Feedback::not_yet(format!("ceiling {ceiling:.2}x: with n → ∞, 1 / (s + (1 − s) / n) tends to 1 / s"))
    };
    let e = if close(at_8, want_8, 0.02) {
        Feedback::right(format!("8 workers: {at_8:.2}x = 1 / (s + (1 − s) / 8)"))
    } else {
        Feedback::not_yet(format!("8 workers: {at_8:.2}x is not 1 / (s + (1 − s) / 8) for s = {s:.3}"))
    };
    Feedback::all([c, e])
}

/// The solution of exercise `n`, shown only when asked for.
pub fn solution(n: usize) -> Solution {
    match n {
        1 => Solution::new(
            "Exercise 1: a CPU closure that hands the GIL over",
            include_str!("solutions/demo_1c_1.rs"),
            "CPython's interpreter offers to drop the GIL every switch interval between bytecodes; parlab's simulated \
             GIL can only do it where your code lets it, in gil::tick (a few nanoseconds when nobody waits). Without \
             it one task holds the lock to its end: the others still wait, just all at once instead of in turns.",
        ),
        2 => Solution::new(
            "Exercise 2: Amdahl's bound",
            include_str!("solutions/demo_1c_2.rs"),
            "amdahl_speedup(s, n) is 1 / (s + (1 − s) / n). The ceiling is its limit, 1 / s. For a fraction fitted \
             past the core count, remember that the 'serial part' may be the machine running out of cores.",
        ),
        _ => Solution::unknown("demo_1c", n, 2),
    }
}

//! Exercises of `demo_1.ipynb`: a waiting task that releases the GIL, and what
//! a process pool can be handed.

use super::feedback::{Feedback, Solution};
use parlab_core::check;
use parlab_core::executor::ThreadPool;

/// How many threads, and tasks, exercise 1 runs.
const WAITERS: usize = 4;
/// Each task must still wait at least this long (it should wait 50 ms).
const MIN_WAIT: f64 = 0.04;

/// Exercise 1: `task(i)` waits about 50 ms and returns `i`; on a pool of 4
/// threads with the GIL on, 4 such tasks must wait together.
pub fn check_1<F>(task: F) -> Feedback
where
    F: Fn(usize) -> usize + Send + Sync + 'static,
{
    let run = ThreadPool::new(WAITERS).and_then(|pool| pool.gil(true).run_closure(task, 0..WAITERS));
    let (values, run) = match run {
        Ok(out) => out,
        Err(e) => return Feedback::not_yet(format!("the pool could not run the task: {e}")),
    };
    if values != (0..WAITERS).collect::<Vec<_>>() {
        return Feedback::not_yet(format!("task(i) must return i: got {values:?} for 0..{WAITERS}"));
    }
    let shortest = run.tasks.iter().map(|t| t.duration()).fold(f64::INFINITY, f64::min);
    if shortest < MIN_WAIT {
        return Feedback::not_yet(format!(
            "a task must still wait about 50 ms; the shortest took {:.1} ms",
            shortest * 1e3
        ));
    }
    let verdict = check::waited_together(&run);
    if verdict.passed() {
        Feedback::right(format!(
            "{} — each task gave the GIL up while it waited, as CPython's time.sleep does",
            verdict.text()
        ))
    } else {
        Feedback::not_yet(format!(
            "{}. parlab's GIL is cooperative: std::thread::sleep keeps it, as a C extension that forgets to \
             release it would; wait with gil::sleep (or inside gil::released)",
            verdict.text()
        ))
    }
}

/// The four candidates of exercise 2, in the order of the answer.
pub const CANDIDATES: [&str; 4] = [
    "fn double(x: u64) -> u64 { 2 * x }",
    "|x: u64| 2 * x   (a closure that captures nothing)",
    "move |x: u64| factor * x   (a closure that captures `factor`)",
    "fn first(xs: &[u64]) -> u64 { xs[0] }   (its argument borrows)",
];

/// Exercise 2: for each of [`CANDIDATES`], can `ProcessPool::submit` take it?
pub fn check_2(answers: [bool; 4]) -> Feedback {
    let want = [true, true, false, false];
    let why = [
        "a plain fn crosses as its offset from the executable's base, and the worker runs the same executable",
        "a closure that captures nothing coerces to a fn pointer, so it crosses like a fn",
        "captured values live in this process's memory; the worker cannot reach them, and `fn(A) -> R` refuses the closure at compile time",
        "a borrow points into this process's memory; arguments must be owned and serialisable (serde), since they are copied over a socket",
    ];
    Feedback::all((0..4).map(|i| {
        let line = format!("{} → {}", CANDIDATES[i], if answers[i] { "yes" } else { "no" });
        if answers[i] == want[i] {
            Feedback::right(format!("{line}: {}", why[i]))
        } else {
            Feedback::not_yet(format!("{line}: think about what has to reach another process, and how"))
        }
    }))
}

/// The solution of exercise `n`, shown only when asked for.
pub fn solution(n: usize) -> Solution {
    match n {
        1 => Solution::new(
            "Exercise 1: wait without holding the GIL",
            include_str!("solutions/demo_1_1.rs"),
            "gil::sleep releases the simulated GIL for the length of the sleep, so all four threads wait at once. \
             std::thread::sleep does not: parlab's GIL only changes hands in gil::tick, gil::sleep and gil::released.",
        ),
        2 => Solution::new(
            "Exercise 2: what a process pool can be handed",
            include_str!("solutions/demo_1_2.rs"),
            "A ProcessPool takes `fn(A) -> R` with an owned, serialisable A: plain functions and closures that \
             capture nothing. Lesson 05 shows the compile errors for the rest.",
        ),
        _ => Solution::unknown("demo_1", n, 2),
    }
}

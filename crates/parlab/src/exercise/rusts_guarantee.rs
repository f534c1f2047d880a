//! Exercises of `rusts_guarantee.ipynb`: take a lock once per thread, not
//! once per step; and which types are `Send` and `Sync`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

use super::feedback::{Feedback, Solution};

/// A `Mutex<u64>` that counts how often it is locked, so exercise 1 can
/// judge how a task used it — a count no machine load can change.
#[derive(Debug, Default)]
pub struct CountingMutex {
    value: Mutex<u64>,
    locks: AtomicU64,
}

impl CountingMutex {
    /// Lock the total (a poisoned lock is taken over: the count stays exact).
    pub fn lock(&self) -> MutexGuard<'_, u64> {
        self.locks.fetch_add(1, Ordering::Relaxed);
        self.value.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// How many times it was locked.
    pub fn locks(&self) -> u64 {
        self.locks.load(Ordering::Relaxed)
    }

    /// The total it holds.
    pub fn value(&self) -> u64 {
        *self.value.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Threads, and steps per thread, of exercise 1.
const THREADS: usize = 2;
const STEPS: u64 = 200_000;

/// Exercise 1: `task(steps, &total)` adds `steps` to `total`. Two threads run
/// it; the total must come out exact, and the lock be taken at most a couple
/// of times per thread.
pub fn check_1(task: impl Fn(u64, &CountingMutex) + Sync) -> Feedback {
    let total = CountingMutex::default();
    let panicked = std::thread::scope(|s| {
        let handles: Vec<_> = (0..THREADS).map(|_| s.spawn(|| task(STEPS, &total))).collect();
        handles.into_iter().map(|h| h.join()).filter(|r| r.is_err()).count()
    });
    if panicked > 0 {
        return Feedback::not_yet(format!("{panicked} of the {THREADS} threads panicked in the task"));
    }
    let (value, locks, want) = (total.value(), total.locks(), STEPS * THREADS as u64);
    if value != want {
        return Feedback::not_yet(format!(
            "{THREADS} threads adding {STEPS} each must give {want}, the total is {value}: every increment must \
             reach the total"
        ));
    }
    if locks > 2 * THREADS as u64 {
        return Feedback::not_yet(format!(
            "the total is right, but the lock was taken {locks} times: while one thread holds it the other waits, and \
             each hand-over moves the counter between the cores' caches — the GIL you wrote yourself. Count in a local variable, then lock once to add it"
        ));
    }
    Feedback::right(format!(
        "{value} counted with {locks} locks for {THREADS} threads: each thread worked alone and shared only its \
         result — lesson 7's rule, share results, not state"
    ))
}

/// The types of exercise 2, in the order of the answer.
pub const TYPES: [&str; 5] = ["Rc<u64>", "Arc<u64>", "RefCell<u64>", "Mutex<u64>", "Cell<u64>"];

/// Exercise 2: for each of [`TYPES`], `(is it Send, is it Sync)`.
pub fn check_2(answers: [(bool, bool); 5]) -> Feedback {
    let want = [(false, false), (true, true), (true, false), (true, true), (true, false)];
    let why = [
        "its count is changed without atomics, so neither moving a clone nor sharing it across threads is safe",
        "its count is atomic; it is Send and Sync because u64 is both",
        "it may move to another thread, but its borrow flag is not atomic, so it cannot be shared",
        "the lock makes shared access safe: Send and Sync (for any Send content)",
        "like RefCell: movable, but its unsynchronised set() rules out sharing",
    ];
    let yn = |b: bool| if b { "yes" } else { "no" };
    Feedback::all((0..5).map(|i| {
        let (send, sync) = answers[i];
        let line = format!("{}: Send {}, Sync {}", TYPES[i], yn(send), yn(sync));
        if answers[i] == want[i] {
            Feedback::right(format!("{line} — {}", why[i]))
        } else {
            Feedback::not_yet(format!(
                "{line} — not quite: Send means it may move to another thread, Sync that &T may be shared with one"
            ))
        }
    }))
}

/// The solution of exercise `n`, shown only when asked for.
pub fn solution(n: usize) -> Solution {
    match n {
        1 => Solution::new(
            "Exercise 1: lock once per thread",
            include_str!("solutions/rusts_guarantee_1.rs"),
            "Counting in a local variable touches no shared state; one lock per thread adds the result. The same \
             total, and the threads no longer take turns.",
        ),
        2 => Solution::new(
            "Exercise 2: Send and Sync",
            include_str!("solutions/rusts_guarantee_2.rs"),
            "T is Sync exactly when &T is Send. Interior mutability without atomics or a lock (Cell, RefCell, Rc's \
             count) is what takes Sync away; only Rc loses Send too, because two clones on two threads would race \
             on the count. The compiler checks this: try `fn is_sync<T: Sync>() {}` with `is_sync::<Cell<u64>>()`.",
        ),
        _ => Solution::unknown("rusts_guarantee", n, 2),
    }
}

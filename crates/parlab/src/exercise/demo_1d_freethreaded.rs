//! Exercises of `demo_1d_freethreaded.ipynb`: a chunk size that keeps a
//! process pool's fare small, and which parlab pool models which Python.

use super::feedback::{Feedback, Solution};
use parlab_core::record::ExecutorKind;

/// Exercise 1's limit: the fare of one message at most this share of the
/// work in its chunk.
pub const MAX_OVERHEAD: f64 = 0.05;
/// Exercise 1's balance rule: at least this many chunks per worker.
pub const CHUNKS_PER_WORKER: usize = 4;

/// Exercise 1: a chunk size for `items` items of `item_secs` each on
/// `workers` processes, when one message costs `fare` seconds: the fare at
/// most [`MAX_OVERHEAD`] of a chunk's work, and at least
/// [`CHUNKS_PER_WORKER`] chunks per worker so that none is left idle.
pub fn check_1(chunksize: usize, items: usize, workers: usize, fare: f64, item_secs: f64) -> Feedback {
    if chunksize == 0
        || items == 0
        || workers == 0
        || !fare.is_finite()
        || fare < 0.0
        || !item_secs.is_finite()
        || item_secs <= 0.0
    {
        return Feedback::not_yet(format!(
            "chunksize, items and workers must be at least 1 and the measured times positive \
             (chunksize {chunksize}, items {items}, workers {workers}, fare {fare:e} s, item {item_secs:e} s)"
        ));
    }
    let lo = (fare / (MAX_OVERHEAD * item_secs)).ceil().max(1.0) as usize;
    let hi = items / (CHUNKS_PER_WORKER * workers);
    let overhead = fare / (chunksize as f64 * item_secs);
    let chunks = items.div_ceil(chunksize);
    let facts =
        format!("chunksize {chunksize}: {chunks} chunks, the fare is {:.1}% of a chunk's work", 100.0 * overhead);
    if lo > hi {
        // Both cannot hold: balance wins, since an idle worker wastes more than a fare.
        return if chunksize == hi.max(1) {
            Feedback::right(format!(
                "{facts}. No chunk size meets both rules on these figures (the fare needs {lo}+ items, balance allows \
                 at most {hi}); the largest balanced chunk is the best compromise"
            ))
        } else {
            Feedback::not_yet(format!(
                "{facts}. On these figures no chunk size meets both rules (≥ {lo} for the fare, ≤ {hi} for balance): \
                 take the largest one that keeps {CHUNKS_PER_WORKER} chunks per worker"
            ))
        };
    }
    if chunksize < lo {
        Feedback::not_yet(format!(
            "{facts}, above {:.0}%: each message carries too little work. The fare / (chunksize × item time) ≤ {MAX_OVERHEAD} \
             needs chunksize ≥ {lo}",
            100.0 * MAX_OVERHEAD
        ))
    } else if chunksize > hi {
        Feedback::not_yet(format!(
            "{facts}, fewer than {CHUNKS_PER_WORKER} per worker: when one chunk runs long, the others sit idle. \
             chunksize ≤ items / ({CHUNKS_PER_WORKER} × workers) = {hi}"
        ))
    } else {
        Feedback::right(format!(
            "{facts}: small enough overhead (any chunksize from {lo} to {hi} works), and {} chunks per worker to share \
             out",
            chunks / workers
        ))
    }
}

/// The Python set-ups of exercise 2, in the order of the answer.
pub const SETUPS: [&str; 4] = [
    "CPython 3.13, ThreadPoolExecutor, pure-Python CPU work",
    "python3.14t (free-threaded), ThreadPoolExecutor, pure-Python CPU work",
    "CPython 3.13, ProcessPoolExecutor, pure-Python CPU work",
    "CPython 3.13, ThreadPoolExecutor, each task one big NumPy call (NumPy releases the GIL while it computes)",
];

/// Exercise 2: for each of [`SETUPS`], the parlab pool that behaves like it:
/// its kind and whether the GIL is on.
pub fn check_2(picks: [(ExecutorKind, bool); 4]) -> Feedback {
    use ExecutorKind::*;
    let want = [(Threads, true), (Threads, false), (Processes, true), (Threads, false)];
    let why = [
        "one GIL for all the threads: they take turns",
        "no GIL: threads compute at once and share memory",
        "a GIL per process: processes compute at once, each on its copy",
        "the GIL is released during the NumPy call, so the threads compute at once: the GIL-on case models pure Python only",
    ];
    Feedback::all((0..4).map(|i| {
        let (kind, gil) = picks[i];
        let line = format!("{} → {kind:?}, GIL {}", SETUPS[i], if gil { "on" } else { "off" });
        if picks[i] == want[i] {
            Feedback::right(format!("{line}: {}", why[i]))
        } else {
            Feedback::not_yet(format!("{line}: ask who holds a GIL while the work runs, and how many GILs there are"))
        }
    }))
}

/// The solution of exercise `n`, shown only when asked for.
pub fn solution(n: usize) -> Solution {
    match n {
        1 => Solution::new(
            "Exercise 1: a chunk size",
            include_str!("solutions/demo_1d_freethreaded_1.rs"),
            "The fare rule gives a lower bound, fare / (0.05 × item time); the balance rule an upper bound, \
             items / (4 × workers). Any size between works; the lower bound wastes least on imbalance.",
        ),
        2 => Solution::new(
            "Exercise 2: which pool models which Python",
            include_str!("solutions/demo_1d_freethreaded_2.rs"),
            "A GIL only serialises code that holds it. Pure Python holds it (one per process); python3.14t has none; \
             C extensions such as NumPy release it around their loops, which is why NumPy-heavy threads scale even \
             on CPython.",
        ),
        _ => Solution::unknown("demo_1d_freethreaded", n, 2),
    }
}

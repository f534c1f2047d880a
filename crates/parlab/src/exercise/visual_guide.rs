//! Exercises of `visual_guide.ipynb`: rounds of a pool, and which executor
//! suits which work.

use super::feedback::{Feedback, Solution};
use parlab_core::record::ExecutorKind;

/// Exercise 1: the fewest processes that run `tasks` equal sleeps in at most
/// `rounds` rounds (a pool of `p` runs them in ⌈tasks / p⌉ rounds).
pub fn check_1(tasks: usize, rounds: usize, processes: usize) -> Feedback {
    if tasks == 0 || rounds == 0 {
        return Feedback::not_yet(format!(
            "the question needs tasks and rounds above 0 (got {tasks} tasks, {rounds} rounds)"
        ));
    }
    if processes == 0 {
        return Feedback::not_yet("a pool needs at least one process");
    }
    let fewest = tasks.div_ceil(rounds);
    let took = tasks.div_ceil(processes);
    if took > rounds {
        Feedback::not_yet(format!(
            "{processes} processes run {tasks} tasks in ⌈{tasks} / {processes}⌉ = {took} rounds, more than {rounds}"
        ))
    } else if processes > fewest {
        Feedback::not_yet(format!(
            "{processes} processes do it in {took} rounds, but {fewest} would too: every extra process costs a start-up \
             and memory, and waits no sooner"
        ))
    } else {
        Feedback::right(format!(
            "{processes} processes run {tasks} sleeps in ⌈{tasks} / {processes}⌉ = {took} rounds; {} would need {} rounds",
            processes - 1,
            if processes > 1 { tasks.div_ceil(processes - 1).to_string() } else { "∞".into() }
        ))
    }
}

/// The four workloads of exercise 2, in the order of the answer.
pub const WORKLOADS: [&str; 4] = [
    "fetch 500 web pages, in CPython (GIL on)",
    "resize 2 000 images in pure Python, in CPython (GIL on)",
    "download 1 000 files, then parse each in pure Python, in CPython (GIL on)",
    "resize 2 000 images in Rust (no GIL)",
];

/// Exercise 2: the executor for each of [`WORKLOADS`].
pub fn check_2(picks: [ExecutorKind; 4]) -> Feedback {
    use ExecutorKind::*;
    let want = [Threads, Processes, Hybrid, Threads];
    let why = [
        "waiting work: a waiting thread releases the GIL, so threads wait all at once, cheaply",
        "computing work under a GIL: only separate processes, each with its own GIL, compute at once",
        "both: processes for the parsing (one GIL each), threads inside them for the waiting",
        "computing work without a GIL: threads compute at once and share memory, no process to start",
    ];
    Feedback::all((0..4).map(|i| {
        let line = format!("{}: {:?}", WORKLOADS[i], picks[i]);
        if picks[i] == want[i] {
            Feedback::right(format!("{line} — {}", why[i]))
        } else {
            Feedback::not_yet(format!(
                "{line} — not the best pick; think about what the work does (waits or computes) and whether a GIL is on"
            ))
        }
    }))
}

/// The solution of exercise `n`, shown only when asked for.
pub fn solution(n: usize) -> Solution {
    match n {
        1 => Solution::new(
            "Exercise 1: the fewest processes for two rounds",
            include_str!("solutions/visual_guide_1.rs"),
            "⌈tasks / p⌉ ≤ 2 first holds at p = ⌈tasks / 2⌉: 7 for the guide's 14 tasks. Rerun the process pool with \
             that many and its timeline shows two rounds.",
        ),
        2 => Solution::new(
            "Exercise 2: which executor",
            include_str!("solutions/visual_guide_2.rs"),
            "Waiting → threads; computing under a GIL → processes; both → processes × threads; computing without a \
             GIL → threads again (the flowchart above).",
        ),
        _ => Solution::unknown("visual_guide", n, 2),
    }
}

//! Exercises of `machine_underneath.ipynb`: Amdahl's and Gustafson's laws
//! side by side, and per-thread counters that do not share a cache line.

use std::sync::atomic::AtomicU64;

use super::feedback::close;
use super::feedback::{Feedback, Solution};
use parlab_core::record::{amdahl_speedup, gustafson_speedup};

/// Exercise 1: with serial share `s` and `n` workers, Amdahl's speedup (the
/// work fixed) and Gustafson's (the time fixed, the work growing).
pub fn check_1(s: f64, n: usize, amdahl: f64, gustafson: f64) -> Feedback {
    if !(0.0..=1.0).contains(&s) || n == 0 {
        return Feedback::not_yet(format!("s lies between 0 and 1 and n is at least 1 (got s = {s}, n = {n})"));
    }
    let (want_a, want_g) = (amdahl_speedup(s, n), gustafson_speedup(s, n));
    let a = if close(amdahl, want_a, 0.01) {
        Feedback::right(format!("Amdahl {amdahl:.2}x = 1 / (s + (1 − s) / n): the same job, {n} workers"))
    } else {
        Feedback::not_yet(format!("Amdahl {amdahl:.2}x: the serial part s stays, the rest is divided by n"))
    };
    let g = if close(gustafson, want_g, 0.01) {
        Feedback::right(format!(
            "Gustafson {gustafson:.2}x = n − s (n − 1): a job {n} workers finish in the same time, against one worker"
        ))
    } else {
        Feedback::not_yet(format!(
            "Gustafson {gustafson:.2}x: in the same time, n workers do the serial share s once and (1 − s) × n of parallel work"
        ))
    };
    Feedback::all([a, g])
}

/// A cache line, in bytes, on the machines this course runs on.
pub const LINE: usize = 64;

/// Exercise 2: per-thread slots whose counters (`counter(&slot)`) each sit
/// on a cache line of their own — read from their addresses, which no load
/// can change.
pub fn check_2<T>(slots: &[T], counter: impl Fn(&T) -> &AtomicU64) -> Feedback {
    if slots.len() < 2 {
        return Feedback::not_yet(format!("make at least 2 slots, one per thread (got {})", slots.len()));
    }
    let addrs: Vec<usize> = slots.iter().map(|s| counter(s) as *const AtomicU64 as usize).collect();
    let gap = addrs[1].abs_diff(addrs[0]);
    let mut lines: Vec<usize> = addrs.iter().map(|a| a / LINE).collect();
    lines.sort_unstable();
    lines.dedup();
    if lines.len() < addrs.len() {
        Feedback::not_yet(format!(
            "the counters are {gap} bytes apart, so some share a {LINE}-byte line: a write by one thread evicts the \
             other's copy of the whole line. Give each its own, e.g. machine::CachePadded::new(AtomicU64::new(0))"
        ))
    } else {
        Feedback::right(format!(
            "{} counters, each on its own cache line ({gap} bytes apart): writes by one thread no longer throw \
             away the others' lines{}",
            addrs.len(),
            if gap >= 2 * LINE {
                " (128 bytes also clears the neighbouring-line prefetcher, as CachePadded does on x86-64)"
            } else {
                ""
            }
        ))
    }
}

/// The solution of exercise `n`, shown only when asked for.
pub fn solution(n: usize) -> Solution {
    match n {
        1 => Solution::new(
            "Exercise 1: Amdahl beside Gustafson",
            include_str!("solutions/machine_underneath_1.rs"),
            "Amdahl: 1 / (s + (1 − s) / n), never above 1 / s. Gustafson: n − s (n − 1), no ceiling, because the \
             problem grows with the machine. (parlab has both: amdahl_speedup, gustafson_speedup.)",
        ),
        2 => Solution::new(
            "Exercise 2: counters on lines of their own",
            include_str!("solutions/machine_underneath_2.rs"),
            "CachePadded aligns its content to 128 bytes on x86-64 (two 64-byte lines, because the prefetcher \
             fetches lines in pairs), so neighbouring slots never share a line.",
        ),
        _ => Solution::unknown("machine_underneath", n, 2),
    }
}

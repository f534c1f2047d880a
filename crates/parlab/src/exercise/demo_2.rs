//! Exercises of `demo_2.ipynb`: a task that reads the matrix through a
//! shared-memory handle, and how much work pays for one copy.

use super::feedback::{Feedback, Solution};
use parlab_core::graph::Graph;
use parlab_core::shm::{MatrixHandle, SharedMemoryManager};

/// The task type of exercise 1: what a process pool can run on way (b).
pub type ShmTask = fn((MatrixHandle, usize, usize, usize)) -> Result<Option<usize>, String>;

/// How many of the questions exercise 1 asks the task.
const ASKED: usize = 20;

/// Exercise 1: `task((handle, i, j, max_hop))` attaches to the matrix behind
/// `handle` and returns the distance from `i` to `j`. The check shares
/// `graph`'s matrix in a segment of its own, asks the task up to 20 of
/// `pairs` in this process (attaching works the same here as in a worker),
/// and compares with `graph.path_distance`.
pub fn check_1(graph: &Graph, pairs: &[(usize, usize)], max_hop: usize, task: ShmTask) -> Feedback {
    let manager = match SharedMemoryManager::new() {
        Ok(m) => m,
        Err(e) => return Feedback::not_yet(format!("no shared memory: {e}")),
    };
    let shared = match manager.share(graph.matrix()) {
        Ok(s) => s,
        Err(e) => return Feedback::not_yet(format!("could not share the matrix: {e}")),
    };
    let handle = shared.handle().clone();
    let asked = &pairs[..pairs.len().min(ASKED)];
    if asked.is_empty() {
        return Feedback::not_yet("give the check some pairs to ask");
    }
    for &(i, j) in asked {
        let want = match graph.path_distance(i, j, max_hop) {
            Ok(d) => d,
            Err(e) => return Feedback::not_yet(format!("the pair ({i}, {j}) is not a question for this graph: {e}")),
        };
        match task((handle.clone(), i, j, max_hop)) {
            Ok(got) if got == want => {}
            Ok(got) => {
                return Feedback::not_yet(format!(
                    "for ({i}, {j}) the task answered {got:?}, the distance is {want:?}: attach with \
                     handle.attach::<u8>(), then call path_distance(adj.view(), i, j, max_hop)"
                ));
            }
            Err(e) => return Feedback::not_yet(format!("for ({i}, {j}) the task failed: {e}")),
        }
    }
    Feedback::right(format!(
        "{} questions answered through a {}-character segment name instead of a {:.1} MB copy; the task is a plain \
         fn of owned, serialisable arguments, so a ProcessPool can run it",
        asked.len(),
        handle.name.len(),
        graph.bytes() as f64 / 1e6
    ))
}

/// Exercise 2's required share: the copy's fare at most this much of the
/// compute in one task.
pub const MAX_FARE_SHARE: f64 = 0.1;

/// Exercise 2: the fewest questions one task must answer so that copying
/// the matrix into it (`copy_fare` seconds) costs at most 10% of its compute
/// (`compute` seconds per question).
pub fn check_2(copy_fare: f64, compute: f64, questions_per_task: usize) -> Feedback {
    if !(copy_fare > 0.0 && compute > 0.0) {
        return Feedback::not_yet(format!(
            "both times must be measured and positive (copy {copy_fare} s, compute {compute} s)"
        ));
    }
    let fewest = (copy_fare / (MAX_FARE_SHARE * compute)).ceil().max(1.0) as usize;
    let share = copy_fare / (questions_per_task as f64 * compute);
    let facts = format!("{questions_per_task} questions: the copy is {:.0}% of the task's compute", 100.0 * share);
    if questions_per_task < fewest {
        Feedback::not_yet(format!(
            "{facts}, more than {:.0}%: the copy ({:.2} ms) must be spread over more questions ({:.3} ms each)",
            100.0 * MAX_FARE_SHARE,
            copy_fare * 1e3,
            compute * 1e3
        ))
    } else if questions_per_task > fewest + fewest / 2 {
        Feedback::not_yet(format!(
            "{facts}: enough, but {fewest} would do; the fewest is asked, since bigger tasks balance worse"
        ))
    } else {
        Feedback::right(format!(
            "{facts}: {fewest} is the fewest — the copy fare is paid once per task, so a task must carry that much \
             work before copying stops mattering. With one handle of a few dozen bytes (way b) the fare stops \
             mattering at one question"
        ))
    }
}

/// The solution of exercise `n`, shown only when asked for.
pub fn solution(n: usize) -> Solution {
    match n {
        1 => Solution::new(
            "Exercise 1: a task that reads shared memory",
            include_str!("solutions/demo_2_1.rs"),
            "The handle carries the segment's name and shape; attach maps the segment (once per process, cached), and \
             view() is an ndarray view of the shared bytes: no copy anywhere.",
        ),
        2 => Solution::new(
            "Exercise 2: how much work pays for a copy",
            include_str!("solutions/demo_2_2.rs"),
            "fare / (k × compute) ≤ 0.1 gives k ≥ 10 × fare / compute. With the 4 MB matrix that is usually more \
             questions than one task should carry — which is why way (b) shares the matrix instead.",
        ),
        _ => Solution::unknown("demo_2", n, 2),
    }
}

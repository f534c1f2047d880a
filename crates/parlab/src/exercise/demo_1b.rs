//! Exercises of `demo_1b.ipynb`: predict a completion order, and take the
//! first result with `as_completed`.

use super::feedback::{Feedback, Solution};
use parlab_core::Result;
use parlab_core::executor::{Executor, ThreadPool};

/// Exercise 1: `order` must list the tasks in the order they finish, given
/// the sleep each one drew (`drawn[i]` for task `i`, all started at once).
pub fn check_1(drawn: &[f64], order: &[usize]) -> Feedback {
    let mut want: Vec<usize> = (0..drawn.len()).collect();
    want.sort_by(|&a, &b| drawn[a].total_cmp(&drawn[b]));
    let mut sorted = order.to_vec();
    sorted.sort_unstable();
    if sorted != (0..drawn.len()).collect::<Vec<_>>() {
        return Feedback::not_yet(format!(
            "the order must name each of the {} tasks exactly once, got {order:?}",
            drawn.len()
        ));
    }
    if order == want.as_slice() {
        return Feedback::right(format!(
            "{order:?}: every task started at once, so each finished after its own sleep, the shortest first"
        ));
    }
    if order.iter().copied().eq(0..drawn.len()) {
        return Feedback::not_yet(
            "that is the submission order; as_completed yields tasks as they finish, and a task finishes when its sleep ends",
        );
    }
    let wrong = order.iter().zip(&want).position(|(a, b)| a != b).unwrap_or(0);
    Feedback::not_yet(format!(
        "place {} should be task {} (it sleeps {:.2} s), not task {} ({:.2} s): sort the tasks by their drawn sleep",
        wrong + 1,
        want[wrong],
        drawn[want[wrong]],
        order[wrong],
        drawn[order[wrong]]
    ))
}

/// Within this many seconds of the first finish, two tasks count as tied.
const TIE: f64 = 0.005;

/// Exercise 2: `first_finished(pool, tasks)` submits `delayed_return(i)` for `i`
/// in `0..tasks` and returns the value of the task that finishes first. The
/// check gives it a fresh pool of `tasks` threads (GIL on) and reads the
/// pool's record for which task really did.
pub fn check_2(tasks: usize, first_finished: impl FnOnce(&ThreadPool, usize) -> Result<usize>) -> Feedback {
    if tasks < 2 {
        return Feedback::not_yet(format!("the exercise needs 2 or more tasks, got {tasks}"));
    }
    let pool = match ThreadPool::new(tasks) {
        Ok(pool) => pool.gil(true),
        Err(e) => return Feedback::not_yet(format!("no pool: {e}")),
    };
    let answer = first_finished(&pool, tasks);
    pool.shutdown(true, false); // let every task finish, so the record is whole
    let run = pool.take_run();
    let answer = match answer {
        Ok(a) => a,
        Err(e) => return Feedback::not_yet(format!("your function returned an error: {e}")),
    };
    let Some(first) = run.tasks.iter().min_by(|a, b| a.end.total_cmp(&b.end)) else {
        return Feedback::not_yet("no task ran: submit delayed_return(i) for each i on the pool you are given");
    };
    if run.tasks.len() < tasks {
        return Feedback::not_yet(format!("only {} tasks ran; submit all {tasks}", run.tasks.len()));
    }
    match run.tasks.iter().find(|t| t.index == answer) {
        Some(t) if t.end - first.end <= TIE => Feedback::right(format!(
            "task {answer} finished first, after {:.3} s: as_completed handed it over as soon as it was done",
            t.end
        )),
        Some(t) => Feedback::not_yet(format!(
            "you returned task {answer}, which finished at {:.3} s; task {} finished first, at {:.3} s. \
             Take the first future that as_completed yields, not the first one submitted",
            t.end, first.index, first.end
        )),
        None => Feedback::not_yet(format!("you returned {answer}, which is not one of the {tasks} tasks' values")),
    }
}

/// The solution of exercise `n`, shown only when asked for.
pub fn solution(n: usize) -> Solution {
    match n {
        1 => Solution::new(
            "Exercise 1: predict the completion order",
            include_str!("solutions/demo_1b_1.rs"),
            "With tasks ≤ workers every task starts at once, so the completion order is the order of the drawn \
             sleeps: sort the task numbers by them (this is what the notebook's `predicted` does).",
        ),
        2 => Solution::new(
            "Exercise 2: the first result",
            include_str!("solutions/demo_1b_2.rs"),
            "as_completed yields each future when its task is done, fastest first; the first one out is the \
             answer, available after the shortest sleep rather than after all of them (map, or futures[0], waits \
             for task 0).",
        ),
        _ => Solution::unknown("demo_1b", n, 2),
    }
}

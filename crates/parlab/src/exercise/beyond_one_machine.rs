//! Exercises of `beyond_one_machine.ipynb`: reading which rank on which host
//! ran each task from an MPI run's record, and a chunk size worked out from
//! the measured round trip of one message.
//!
//! Both checks take plain values (a [`Run`], numbers), so they build and are
//! tested without the `mpi` feature.

use super::feedback::{Feedback, Solution};
use parlab_core::record::Run;

/// Exercise 1: `ran_on[i]` is `(host name, MPI rank)` of the process that ran
/// task `i` of `run`, in submission order. The check reads the same record:
/// the worker of a task's lane is its rank minus one (rank 0 is the relay,
/// which runs no task) and the lane's host indexes [`Run::hosts`].
pub fn check_1(run: &Run, ran_on: &[(String, usize)]) -> Feedback {
    if run.hosts.is_empty() {
        return Feedback::not_yet(format!(
            "{} names no hosts: give the check the record of an MpiPool run, such as `two`",
            run.label
        ));
    }
    if ran_on.len() != run.tasks.len() {
        return Feedback::not_yet(format!(
            "the run has {} tasks and the answer names {} places: one (host, rank) per task, in submission order",
            run.tasks.len(),
            ran_on.len()
        ));
    }
    let mut per_rank = std::collections::BTreeMap::<usize, usize>::new();
    for (task, (host, rank)) in run.tasks.iter().zip(ran_on) {
        let want_rank = task.lane.worker + 1;
        let Some(want_host) = run.hosts.get(task.lane.host as usize) else {
            return Feedback::not_yet(format!(
                "task {} names host {}, which the run lacks",
                task.index, task.lane.host
            ));
        };
        if *rank == 0 {
            return Feedback::not_yet(format!(
                "task {} on rank 0: rank 0 is the relay, which hands tasks out and runs none; the ranks that compute \
                 are 1 to {}, and a lane's worker is its rank minus one",
                task.index, run.workers
            ));
        }
        if *rank != want_rank {
            return Feedback::not_yet(format!(
                "task {} ran on rank {want_rank} (lane R{want_rank}), not {rank}: read two.tasks[{}].lane.worker, plus one",
                task.index, task.index
            ));
        }
        if host != want_host {
            return Feedback::not_yet(format!(
                "task {} ran on host {want_host:?}, not {host:?}: the lane's host is an index into two.hosts",
                task.index
            ));
        }
        *per_rank.entry(want_rank).or_default() += 1;
    }
    let shares: Vec<String> = per_rank.iter().map(|(r, n)| format!("rank {r} ran {n}")).collect();
    Feedback::right(format!(
        "{} of {} ranks ran tasks ({}), on {} host(s): the relay hands each next task to whichever rank is free, so \
         which rank runs what depends on timing, and only the record can say",
        per_rank.len(),
        run.workers,
        shares.join(", "),
        run.hosts.len()
    ))
}

/// Exercise 2's limit: one round trip at most this share of a chunk's compute.
pub const MAX_LATENCY_SHARE: f64 = 0.1;
/// Exercise 2's cluster: its round trip is this many times the measured one.
pub const CLUSTER_FACTOR: f64 = 10.0;

/// The fewest items per chunk for a round trip of `latency` seconds to cost at
/// most [`MAX_LATENCY_SHARE`] of the chunk's compute.
fn fewest(latency: f64, item_secs: f64) -> usize {
    (latency / (MAX_LATENCY_SHARE * item_secs)).ceil().max(1.0) as usize
}

/// Exercise 2: the fewest items per chunk (`map_chunked`) so that a chunk's
/// round trip costs at most 10% of its compute, for items of `item_secs`
/// each: `here` with the measured `latency`, `cluster` where a round trip
/// takes [`CLUSTER_FACTOR`] times as long.
pub fn check_2(latency: f64, item_secs: f64, here: usize, cluster: usize) -> Feedback {
    if !(latency.is_finite() && latency > 0.0 && item_secs.is_finite() && item_secs > 0.0) {
        return Feedback::not_yet(format!(
            "the latency must be measured and the item time positive (latency {latency:e} s, item {item_secs:e} s)"
        ));
    }
    let part = |name: &str, latency: f64, chunk: usize| {
        let want = fewest(latency, item_secs);
        let share = latency / (chunk.max(1) as f64 * item_secs);
        let facts = format!(
            "{name}: chunksize {chunk}, a round trip of {:.0} µs is {:.0}% of the chunk's compute",
            latency * 1e6,
            100.0 * share
        );
        if chunk < want {
            Feedback::not_yet(format!(
                "{facts}, more than {:.0}%: latency / (chunksize × item time) ≤ {MAX_LATENCY_SHARE} needs more items per \
                 message",
                100.0 * MAX_LATENCY_SHARE
            ))
        } else if chunk > want + (want / 10).max(1) {
            Feedback::not_yet(format!(
                "{facts}: enough, but {want} would do; the fewest is asked, since bigger chunks balance worse"
            ))
        } else {
            Feedback::right(format!("{facts}: {want} is the fewest"))
        }
    };
    let verdict = Feedback::all([
        part("this machine", latency, here),
        part(&format!("a cluster ({CLUSTER_FACTOR}× the round trip)"), CLUSTER_FACTOR * latency, cluster),
    ]);
    if verdict.passed() {
        Feedback::right(format!(
            "{} — the chunk grows with the latency: a round trip {CLUSTER_FACTOR}× as slow needs chunks {CLUSTER_FACTOR}× as \
             big for the same share",
            verdict.text()
        ))
    } else {
        verdict
    }
}

/// The solution of exercise `n`, shown only when asked for.
pub fn solution(n: usize) -> Solution {
    match n {
        1 => Solution::new(
            "Exercise 1: who ran what, from the record",
            include_str!("solutions/beyond_one_machine_1.rs"),
            "Each TaskRecord's lane names the worker (its rank minus one: rank 0 is the relay) and an index into \
             run.hosts. On one machine every task shows the same host; on the namespace hosts of tests/mpi/run, two.",
        ),
        2 => Solution::new(
            "Exercise 2: a chunk size from the round trip",
            include_str!("solutions/beyond_one_machine_2.rs"),
            "latency / (k × item) ≤ 0.1 gives k ≥ 10 × latency / item: the chunk is proportional to the latency, so the \
             same items need chunks ten times as big on a network ten times as slow.",
        ),
        _ => Solution::unknown("beyond_one_machine", n, 2),
    }
}

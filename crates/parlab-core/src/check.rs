//! Checks that a run behaved as the lesson says, judged in terms that a busy
//! machine cannot change.
//!
//! Invariant: no check compares a wall time against a fixed number. Each one
//! reads what load leaves alone — whether tasks overlapped in time
//! ([`Run::concurrency`]), whether more than one of them computed at once
//! ([`Run::cores_used`], from the OS's CPU clocks) — and judges CPU speed only
//! against what the machine offered at that moment ([`Offer`]). So a learner's
//! busy laptop gets a lower figure with the reason next to it, not a failure,
//! while a pool that really runs its tasks one at a time fails on any machine.
//!
//! ```
//! use parlab_core::prelude::*;
//! # fn main() -> parlab_core::Result<()> {
//! workload::set_scale(0.02)?;
//! let pool = ThreadPool::new(4)?.gil(true);
//! let (_, run) = pool.run(delayed_return_for, (0..8).map(|i| (i, 2.0)))?;
//! let verdict = check::waited_together(&run);
//! println!("{verdict}");
//! assert!(verdict.passed(), "sleeps release the GIL");
//! # Ok(()) }
//! ```

use std::collections::BTreeMap;
use std::fmt;

use crate::machine::Offer;
use crate::record::{ExecutorKind, Run};

/// Waiting tasks under way at once must reach this share of the way from one
/// at a time to what the pool allows.
const WAIT_SHARE: f64 = 0.5;
/// Tasks of different workers must overlap at least this share of what
/// independent workers, as busy as these, would show.
const CROSS_SHARE: f64 = 0.5;
/// Parallel tasks may spend at most this share of their time waiting for a GIL.
const GIL_SHARE: f64 = 0.25;
/// CPU cores used must reach this share of what the machine offered.
const OFFER_SHARE: f64 = 0.7;
/// Below this many cores on offer, a CPU speedup cannot show at all.
const MIN_OFFER: f64 = 1.25;
/// Tasks at least this long (seconds, on average) span several of the GIL's
/// 5 ms switch intervals, so taking turns shows as GIL waits inside them,
/// and several of the OS scheduler's slices, so threads sharing one core are
/// cut mid-task and their tasks overlap.
const LONG_TASK: f64 = 0.02;
/// Threads that take turns use at most one core; this leaves room for the
/// moments when the GIL changes hands.
const ONE_CORE: f64 = 1.2;

/// The outcome of one check, with the measured figures in words.
#[derive(Clone, Debug, PartialEq)]
pub struct Check {
    passed: bool,
    text: String,
}

impl Check {
    /// Whether the run behaved as expected.
    pub fn passed(&self) -> bool {
        self.passed
    }

    /// The explanation: what was measured and what it was held against.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Panic with the explanation if the check failed; for tests and notebook checks.
    ///
    /// # Panics
    /// When [`Check::passed`] is false: that is its purpose.
    #[track_caller]
    pub fn assert(&self) {
        assert!(self.passed, "{self}");
    }

    /// Evcxr shows a check as its sentence.
    pub fn evcxr_display(&self) {
        println!("{self}");
    }

    fn new(passed: bool, text: String) -> Check {
        Check { passed, text }
    }
}

impl fmt::Display for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", if self.passed { "PASS" } else { "FAIL" }, self.text)
    }
}

/// Run `attempt` up to `tries` times and return the first check that passes,
/// or the last failure.
///
/// A busy machine can slow a run after its offer was measured (never the
/// other way round), so a retry is fair; a pool that is really broken fails
/// every try, which the fault-injection tests prove.
pub fn first_pass_of(tries: usize, mut attempt: impl FnMut() -> Check) -> Check {
    let mut last = attempt();
    for _ in 1..tries {
        if last.passed {
            break;
        }
        last = attempt();
    }
    last
}

/// How many equal tasks can be under way at once, on average, when `width`
/// run at a time: 8 tasks on 3 workers go in rounds of 3, 3 and 2.
fn ideal_overlap(tasks: usize, width: usize) -> f64 {
    if tasks == 0 || width == 0 { 0.0 } else { tasks as f64 / tasks.div_ceil(width) as f64 }
}

/// Equal CPU-bound tasks ran in parallel: tasks of different workers
/// overlapped in time, hardly any time went to waiting for a GIL, and they
/// used about as many cores as the machine offered right then.
///
/// `offer` should be measured just before the run with as many threads as
/// can compute at once (workers, or processes for GIL-on hybrids); the check
/// expects `min(run.workers, offer.threads)` tasks under way. Workers are
/// processes for process and hybrid pools (threads of one process share its
/// GIL), threads otherwise.
pub fn ran_in_parallel(run: &Run, offer: &Offer) -> Check {
    let width = run.workers.min(offer.threads);
    let tasks = run.tasks.len();
    let name = &run.label;
    let Some(overlap) = cross_overlap(run).filter(|_| width >= 2 && tasks >= 2) else {
        let text = format!("{name}: parallelism needs 2+ workers running 2+ tasks ({width} workers, {tasks} tasks)");
        return Check::new(false, text);
    };
    let ideal = ideal_overlap(tasks, width);
    let mut text = format!(
        "{name}: {:.0}% of the tasks' time overlapped another worker's task (independent workers, \
         as busy as these, would give {:.0}%); {:.2} tasks under way at once on average (at most {ideal:.2})",
        100.0 * overlap.actual,
        100.0 * overlap.expected,
        run.concurrency()
    );
    let offered = offer.cores();
    let mut passed = overlap.actual >= CROSS_SHARE * overlap.expected;
    // On about one core, threads take turns where the scheduler switches;
    // for tasks much shorter than its slices that is at task boundaries
    // (a finished task wakes the collector), so a working pool's tasks
    // alternate exactly as a serial one's would. Only long tasks are cut
    // mid-way and keep overlapping there.
    let mean_task = run.task_time() / tasks as f64;
    if !passed && offered < MIN_OFFER && mean_task < LONG_TASK {
        passed = true;
        text += &format!(
            ": low, but the machine offered {offered:.2} cores and tasks of {} take turns whole on one core, \
             so their overlap cannot tell",
            crate::units::human_secs(mean_task)
        );
    } else if !passed {
        text += ": the tasks mostly ran one after another";
    }
    // A hybrid's threads share their process's GIL and take turns by design;
    // its parallelism is across processes, judged by the overlap above.
    let (waited, spent) = (run.gil_wait(), run.task_time());
    if run.kind != ExecutorKind::Hybrid && waited > GIL_SHARE * spent {
        passed = false;
        text += &format!("; {:.0}% of the tasks' time went to waiting for a GIL", 100.0 * waited / spent);
    }
    match run.cores_used() {
        None => text += "; no CPU times recorded, so the cores were not judged",
        Some(used) if offered < MIN_OFFER => {
            text += &format!(
                "; they used {used:.2} CPU cores, and the machine offered only {offered:.2} to {} busy threads, \
                 too few to show a CPU speedup",
                offer.threads
            )
        }
        Some(used) => {
            let want = OFFER_SHARE * offered.min(ideal);
            text += &format!("; they used {used:.2} CPU cores, where the machine offered {offered:.2}");
            if used < want {
                passed = false;
                text += &format!(" (below the {want:.2} expected: the tasks did not compute at the same time)");
            }
        }
    }
    Check::new(passed, text)
}

/// How much tasks of different workers overlapped, against what chance gives.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Overlap {
    /// Share of the tasks' time during which another worker had a task under way.
    actual: f64,
    /// The same share if every worker were busy as much as it was, but at
    /// random moments: what workers that run independently show.
    expected: f64,
}

/// [`Overlap`] of a run's tasks across workers; `None` with fewer than two
/// workers or no task time. Comparing with chance keeps this fair on a busy
/// machine, where short tasks leave each worker idle between them for a while
/// (woken threads pre-empt a finishing worker): such workers overlap less, but
/// as much as their busy time allows, while a pool that runs one task at a
/// time overlaps not at all.
fn cross_overlap(run: &Run) -> Option<Overlap> {
    let by_process = matches!(run.kind, ExecutorKind::Processes | ExecutorKind::Hybrid);
    let mut groups: BTreeMap<u64, Vec<(f64, f64)>> = BTreeMap::new();
    for t in &run.tasks {
        let key = if by_process { u64::from(t.lane.pid) } else { (t.lane.worker as u64) << 32 | t.lane.thread as u64 };
        groups.entry(key).or_default().push((t.start, t.end));
    }
    if groups.len() < 2 || run.wall <= 0.0 {
        return None;
    }
    let merged: Vec<Vec<(f64, f64)>> = groups.values().map(|spans| merge(spans.clone())).collect();
    let busy: Vec<f64> = merged.iter().map(|m| m.iter().map(|s| s.1 - s.0).sum::<f64>() / run.wall).collect();
    let (mut actual, mut expected, mut total) = (0.0, 0.0, 0.0);
    for (g, spans) in groups.values().enumerate() {
        let others = merge(merged.iter().enumerate().filter(|&(h, _)| h != g).flat_map(|(_, m)| m.clone()).collect());
        let idle_elsewhere: f64 =
            busy.iter().enumerate().filter(|&(h, _)| h != g).map(|(_, b)| 1.0 - b.min(1.0)).product();
        for &(start, end) in spans {
            let first = others.partition_point(|s| s.1 <= start);
            let covered: f64 =
                others[first..].iter().take_while(|s| s.0 < end).map(|s| s.1.min(end) - s.0.max(start)).sum();
            actual += covered;
            expected += (end - start) * (1.0 - idle_elsewhere);
            total += end - start;
        }
    }
    (total > 0.0).then(|| Overlap { actual: actual / total, expected: expected / total })
}

/// Sorted, disjoint intervals covering the same time as `spans`.
fn merge(mut spans: Vec<(f64, f64)>) -> Vec<(f64, f64)> {
    spans.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut out: Vec<(f64, f64)> = Vec::with_capacity(spans.len());
    for (start, end) in spans {
        match out.last_mut() {
            Some(last) if start <= last.1 => last.1 = last.1.max(end),
            _ => out.push((start, end)),
        }
    }
    out
}

/// Threads of one process took turns, as under a GIL: at most about one core
/// busy at a time, and, with 2+ workers, the tasks waited for each other.
pub fn took_turns(run: &Run) -> Check {
    let name = &run.label;
    let overlap = run.concurrency();
    let mut text = format!("{name}: {overlap:.2} tasks computing at once on average");
    let mut passed = overlap <= ONE_CORE;
    if let Some(used) = run.cores_used() {
        text += &format!(", {used:.2} CPU cores used");
        passed &= used <= ONE_CORE;
    }
    if !passed {
        text += &format!(" (more than {ONE_CORE}: the threads computed side by side, so no lock made them take turns)");
    }
    // A task shorter than a few switch intervals usually runs whole in one
    // turn: its thread waits for the GIL *between* tasks, where no task's
    // record sees it. Only longer tasks must show their waits.
    let long_tasks = run.task_time() >= LONG_TASK * run.tasks.len() as f64;
    if run.workers >= 2 && run.tasks.len() >= 2 && long_tasks {
        let (waited, spent) = (run.gil_wait(), run.task_time());
        text += &format!("; {waited:.3} s of the tasks' {spent:.3} s went to waiting for the GIL");
        if waited < 0.25 * spent {
            passed = false;
            text += " (under a quarter: the threads hardly competed for a lock)";
        }
    }
    Check::new(passed, text)
}

/// Equal waiting tasks (sleeps, I/O) waited together: far more of them under
/// way at once than one at a time would give.
///
/// Overlap is the tasks' work (spans minus GIL waits) over the time from the
/// first task's start to the last one's end, so a pool that starts its
/// workers late on a busy machine is not mistaken for waits that took turns.
/// It must reach halfway from 1 (one at a time, what a held GIL gives) to the
/// most the pool allows: a waiting task needs no core, so load only trims
/// the edges (a late start, a late wake-up), while waits that take turns stay
/// at 1 on any machine.
pub fn waited_together(run: &Run) -> Check {
    let name = &run.label;
    let ideal = ideal_overlap(run.tasks.len(), run.workers);
    let first = run.tasks.iter().map(|t| t.start).fold(f64::INFINITY, f64::min);
    let last = run.tasks.iter().map(|t| t.end).fold(f64::NEG_INFINITY, f64::max);
    let overlap = if last > first { run.work_time() / (last - first) } else { 0.0 };
    let need = 1.0 + WAIT_SHARE * (ideal - 1.0);
    let mut text = format!("{name}: {overlap:.2} tasks waiting at once on average (at most {ideal:.2})");
    let passed = ideal > 1.0 && overlap >= need;
    if !passed {
        text += &format!(", below {need:.2}, halfway from one at a time: the waits did not overlap");
    }
    Check::new(passed, text)
}

/// The workers shared the work out evenly: the busiest worker did no more
/// than an even share plus the longest single task (what a scheduler that
/// always hands the next task to an idle worker guarantees).
///
/// Work is each task's CPU time where recorded (load slows a task's wall
/// time, not its CPU time), its span minus GIL waits otherwise. A pool of
/// fixed chunks handed sorted work fails this on any machine; rayon's work
/// stealing passes it.
pub fn balanced(run: &Run) -> Check {
    let name = &run.label;
    let work = |t: &crate::record::TaskRecord| t.cpu.unwrap_or_else(|| t.work());
    let lanes = run.lanes();
    let per_lane: Vec<f64> = lanes.iter().map(|l| run.tasks.iter().filter(|t| t.lane == *l).map(work).sum()).collect();
    let total: f64 = per_lane.iter().sum();
    let longest = run.tasks.iter().map(work).fold(0.0, f64::max);
    if run.workers < 2 || total <= 0.0 {
        return Check::new(false, format!("{name}: balance needs 2+ workers and some recorded work"));
    }
    let busiest = per_lane.iter().copied().fold(0.0, f64::max);
    let bound = total / run.workers as f64 + longest;
    let mut text = format!(
        "{name}: the busiest worker did {:.0}% of the work ({busiest:.3} s of {total:.3} s); an even share plus the \
         longest task is {bound:.3} s",
        100.0 * busiest / total
    );
    let passed = busiest <= 1.05 * bound;
    if !passed {
        text += " (above it: one worker was left with the heavy end while the others idled)";
    }
    Check::new(passed, text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::machine::{Cpus, Offer};
    use crate::record::{ExecutorKind, Lane, TaskRecord};

    fn run(spans: &[(f64, f64, f64)], workers: usize) -> Run {
        let tasks = spans
            .iter()
            .enumerate()
            .map(|(index, &(start, end, cpu))| TaskRecord {
                index,
                arg: index.to_string(),
                lane: Lane { worker: index % workers, thread: 0, pid: 1 + (index % workers) as u32, host: 0 },
                start,
                end,
                cpu: Some(cpu),
                gil_wait: 0.0,
                ok: true,
                transfer: 0.0,
            })
            .collect();
        let wall = spans.iter().map(|s| s.1).fold(0.0, f64::max);
        Run { label: "test".into(), kind: ExecutorKind::Processes, workers, wall, tasks, hosts: vec![] }
    }

    fn offer(cores: f64) -> Offer {
        let cpus = Cpus { available: 2, quota: None };
        Offer { threads: 2, wall: 1.0, cpu: vec![cores / 2.0; 2], cpus }
    }

    #[test]
    fn ideal_overlap_counts_rounds() {
        assert_eq!(ideal_overlap(8, 2), 2.0);
        assert_eq!(ideal_overlap(3, 2), 1.5);
        assert_eq!(ideal_overlap(14, 3), 14.0 / 5.0);
        assert_eq!(ideal_overlap(0, 2), 0.0);
    }

    #[test]
    fn side_by_side_passes_and_one_at_a_time_fails() {
        let parallel = run(&[(0.0, 1.0, 1.0), (0.0, 1.0, 1.0)], 2);
        assert!(ran_in_parallel(&parallel, &offer(2.0)).passed());
        let serial = run(&[(0.0, 1.0, 1.0), (1.0, 2.0, 1.0)], 2);
        assert!(!ran_in_parallel(&serial, &offer(2.0)).passed());
        assert!(!ran_in_parallel(&serial, &offer(1.0)).passed(), "overlap is judged even on a busy machine");
    }

    #[test]
    fn a_busy_machine_lowers_the_bar_for_cores() {
        // Overlapping, but each task got 2/3 of a core: a third program held one core.
        let loaded = run(&[(0.0, 1.5, 1.0), (0.0, 1.5, 1.0)], 2);
        assert!(ran_in_parallel(&loaded, &offer(1.33)).passed());
        assert!(!ran_in_parallel(&loaded, &offer(2.0)).passed(), "1.33 cores used of 2 offered is too few");
        // Overlapping in time but computing one at a time (sharing one core).
        let one_core = run(&[(0.0, 2.0, 1.0), (0.0, 2.0, 1.0)], 2);
        assert!(!ran_in_parallel(&one_core, &offer(2.0)).passed());
        assert!(took_turns(&one_core).text().contains("1.00 CPU cores"));
    }

    #[test]
    fn short_tasks_taking_turns_on_one_offered_core_cannot_be_judged_by_overlap() {
        // 0.4 ms tasks alternating whole, as two threads on one core do.
        let turns: Vec<(f64, f64, f64)> = (0..40).map(|i| (i as f64 * 4e-4, (i + 1) as f64 * 4e-4, 4e-4)).collect();
        let r = run(&turns, 2);
        let one_core = ran_in_parallel(&r, &offer(1.0));
        assert!(one_core.passed() && one_core.text().contains("cannot tell"), "{one_core}");
        assert!(!ran_in_parallel(&r, &offer(2.0)).passed(), "with two cores offered they must overlap");
    }

    #[test]
    fn idle_gaps_between_short_tasks_are_fair_but_no_overlap_is_not() {
        // Two workers, each busy half the time at moments of its own: they
        // overlap about as chance predicts, which is parallel enough.
        let gappy: Vec<(f64, f64, f64)> = (0..20)
            .map(|i| {
                if i % 2 == 0 {
                    (i as f64 * 0.5, i as f64 * 0.5 + 0.5, 0.5)
                } else {
                    ((i - 1) as f64 * 0.5 + 0.25, (i - 1) as f64 * 0.5 + 0.75, 0.5)
                }
            })
            .collect();
        let r = run(&gappy, 2);
        let o = cross_overlap(&r).unwrap();
        assert!(o.actual >= CROSS_SHARE * o.expected, "{o:?}");
        // The same busy time, but strictly taking turns.
        let turns: Vec<(f64, f64, f64)> = (0..20).map(|i| (i as f64 * 0.5, i as f64 * 0.5 + 0.5, 0.5)).collect();
        let o = cross_overlap(&run(&turns, 2)).unwrap();
        assert_eq!(o.actual, 0.0);
        assert!(o.expected > 0.4, "{o:?}");
    }

    #[test]
    fn short_tasks_take_turns_without_recorded_waits() {
        // 1 ms tasks one after another on two threads: their waits for the GIL
        // fell between tasks, so the records show none.
        let spans: Vec<(f64, f64, f64)> = (0..100).map(|i| (i as f64 * 1e-3, (i + 1) as f64 * 1e-3, 1e-3)).collect();
        let mut r = run(&spans, 2);
        r.kind = ExecutorKind::Threads;
        assert!(took_turns(&r).passed(), "{}", took_turns(&r));
        // The same tasks, long: now the missing waits give it away.
        let long: Vec<(f64, f64, f64)> = (0..4).map(|i| (i as f64 * 0.1, (i + 1) as f64 * 0.1, 0.1)).collect();
        assert!(!took_turns(&run(&long, 2)).passed());
    }

    #[test]
    fn fixed_halves_of_sorted_work_are_unbalanced() {
        // Four heavy tasks then four light ones, in halves: worker 0 gets every heavy one.
        let heavy = [(0.0, 1.0, 1.0), (1.0, 2.0, 1.0), (2.0, 3.0, 1.0), (3.0, 4.0, 1.0)];
        let light = [(0.0, 0.1, 0.1), (0.1, 0.2, 0.1), (0.2, 0.3, 0.1), (0.3, 0.4, 0.1)];
        let mut r = run(&[heavy, light].concat(), 2);
        for (t, w) in r.tasks.iter_mut().zip([0, 0, 0, 0, 1, 1, 1, 1]) {
            (t.lane.worker, t.lane.pid) = (w, 1 + w as u32);
        }
        assert!(!balanced(&r).passed(), "{}", balanced(&r));
        for (t, w) in r.tasks.iter_mut().zip([0, 1, 0, 1, 0, 1, 0, 1]) {
            (t.lane.worker, t.lane.pid) = (w, 1 + w as u32);
        }
        assert!(balanced(&r).passed(), "{}", balanced(&r));
    }

    #[test]
    fn one_worker_cannot_show_parallelism() {
        let r = run(&[(0.0, 1.0, 1.0)], 1);
        assert!(!ran_in_parallel(&r, &offer(2.0)).passed());
    }

    #[test]
    fn waits_started_late_still_waited_together_but_waits_in_turn_did_not() {
        // 4 sleeps of 50 ms on 4 threads, the pool's threads up 30 ms late and
        // staggered by 10 ms on a busy machine: 200 ms of waiting in 80 ms.
        let late = run(&[(0.03, 0.08, 0.0), (0.04, 0.09, 0.0), (0.05, 0.10, 0.0), (0.06, 0.11, 0.0)], 4);
        assert!(waited_together(&late).passed(), "{}", waited_together(&late));
        // The same sleeps one after another (a GIL held through them).
        let in_turn = run(&[(0.0, 0.05, 0.0), (0.05, 0.10, 0.0), (0.10, 0.15, 0.0), (0.15, 0.20, 0.0)], 4);
        assert!(!waited_together(&in_turn).passed(), "{}", waited_together(&in_turn));
        // Two at a time on a pool of four: halfway is 2.5 at once, so not enough.
        let pairs = run(&[(0.0, 0.05, 0.0), (0.0, 0.05, 0.0), (0.05, 0.10, 0.0), (0.05, 0.10, 0.0)], 4);
        assert!(!waited_together(&pairs).passed(), "{}", waited_together(&pairs));
        // One worker cannot wait together with anyone.
        assert!(!waited_together(&run(&[(0.0, 0.05, 0.0)], 1)).passed());
    }
}

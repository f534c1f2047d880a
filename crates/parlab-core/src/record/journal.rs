//! How an executor records its tasks as they finish, until a run is taken.
//!
//! Invariant: every task an executor finishes (successfully or not) is
//! recorded exactly once, with times measured where the task ran, on the
//! system-wide monotonic clock; `take` turns what was recorded into a [`Run`].

use std::fmt;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use super::run::{ExecutorKind, Lane, Run, TaskRecord};
use crate::clock;
use crate::sync::lock;

/// `Debug` text of `value`, cut off after about `max` bytes without formatting the rest
/// (a 16 MiB matrix argument must not be formatted in full just to label a task).
pub(crate) fn debug_label<T: fmt::Debug + ?Sized>(value: &T, max: usize) -> String {
    struct Capped {
        out: String,
        max: usize,
    }
    impl fmt::Write for Capped {
        fn write_str(&mut self, s: &str) -> fmt::Result {
            let room = self.max.saturating_sub(self.out.len());
            if s.len() <= room {
                self.out.push_str(s);
                Ok(())
            } else {
                let mut cut = room;
                while !s.is_char_boundary(cut) {
                    cut -= 1;
                }
                self.out.push_str(&s[..cut]);
                Err(fmt::Error)
            }
        }
    }
    let mut w = Capped { out: String::new(), max };
    if fmt::write(&mut w, format_args!("{value:?}")).is_err() {
        w.out.push('…');
    }
    w.out
}

/// A finished task as a worker reports it: absolute stamps, not yet tied to a run.
#[derive(Clone, Debug)]
pub(crate) struct RawTask {
    pub index: usize,
    pub arg: String,
    pub lane: Lane,
    pub start_ns: u64,
    pub end_ns: u64,
    pub cpu_ns: Option<u64>,
    pub gil_wait_ns: u64,
    pub ok: bool,
}

/// The running log an executor keeps; `take` turns it into a [`Run`].
///
/// Submitting threads only touch atomics (`reserve`); finishing tasks send
/// their records down a channel, so workers never queue on a lock. A `take` racing with submissions may split a batch between
/// two runs, which is why `run` takes before and after its own batch.
#[derive(Debug)]
pub(crate) struct Journal {
    /// Monotonic stamp of the first reservation since the last take; 0 = none yet.
    batch_start: AtomicU64,
    next_index: AtomicUsize,
    /// One lock per finished task or chunk: cheaper than a channel send per
    /// task when a worker process answers a chunk of hundreds at once.
    finished: Mutex<Vec<RawTask>>,
}

impl Default for Journal {
    fn default() -> Self {
        Journal { batch_start: AtomicU64::new(0), next_index: AtomicUsize::new(0), finished: Mutex::default() }
    }
}

impl Journal {
    /// Reserve `n` consecutive task indices; the first reservation after a
    /// `take` marks the start of the next run.
    pub fn reserve(&self, n: usize) -> usize {
        if self.batch_start.load(Ordering::Relaxed) == 0 {
            let _ = self.batch_start.compare_exchange(0, clock::now_ns().max(1), Ordering::AcqRel, Ordering::Relaxed);
        }
        self.next_index.fetch_add(n, Ordering::Relaxed)
    }

    /// Record finished tasks.
    pub fn extend(&self, tasks: impl IntoIterator<Item = RawTask>) {
        lock(&self.finished).extend(tasks);
    }

    /// Everything recorded since the last `take`, as a run; starts a new run.
    pub fn take(&self, label: String, kind: ExecutorKind, workers: usize) -> Run {
        let mut raw = std::mem::take(&mut *lock(&self.finished));
        let start = match self.batch_start.swap(0, Ordering::AcqRel) {
            0 => clock::now_ns(),
            stamp => stamp,
        };
        self.next_index.store(0, Ordering::Relaxed);
        raw.sort_by_key(|t| t.index);
        let tasks: Vec<TaskRecord> = raw
            .into_iter()
            .map(|t| TaskRecord {
                index: t.index,
                arg: t.arg,
                lane: t.lane,
                start: clock::secs_between(start, t.start_ns),
                end: clock::secs_between(start, t.end_ns),
                cpu: t.cpu_ns.map(|c| c as f64 / 1e9),
                gil_wait: t.gil_wait_ns as f64 / 1e9,
                ok: t.ok,
                transfer: 0.0,
            })
            .collect();
        let wall = tasks.iter().map(|t| t.end).fold(0.0, f64::max);
        Run { label, kind, workers, wall, tasks, hosts: Vec::new() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_label_caps_long_values() {
        let v: Vec<u32> = (0..100_000).collect();
        let label = debug_label(&v, 20);
        assert!(label.len() <= 24, "{label}");
        assert!(label.ends_with('…'));
        assert_eq!(debug_label(&7, 20), "7");
    }
}

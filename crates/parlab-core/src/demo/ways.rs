//! The ways demo 2 hands its matrix to the code, and what running them gives back.
//!
//! Invariant: a way's label names the way and the workers, and is the label
//! of the [`Run`] it recorded, so tables, charts and traces say which way ran.

use serde::{Deserialize, Serialize};

use crate::record::Run;

/// One way of handing the matrix to the tasks, in the notebook's letters.
///
/// | way | executor | the matrix reaches a task as |
/// |---|---|---|
/// | (d) [`Sequential`](Way::Sequential) | [`Sequential`](crate::executor::Sequential) | a reference |
/// | (a) [`Copied`](Way::Copied) | [`ProcessPool`](crate::executor::ProcessPool) | a serialised copy, every task (Python's pickling) |
/// | (b) [`SharedMemory`](Way::SharedMemory) | [`ProcessPool`](crate::executor::ProcessPool) | a [`MatrixHandle`](crate::shm::MatrixHandle); attached once per worker |
/// | (c) [`Threads`](Way::Threads) | [`ThreadPool`](crate::executor::ThreadPool) | an `Arc` — shared by reference, no boilerplate |
/// | (c) [`ThreadsUnderGil`](Way::ThreadsUnderGil) | [`ThreadPool`](crate::executor::ThreadPool), GIL on | as (c), but one thread runs at a time |
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Way {
    /// (d): one pair after another on this thread.
    Sequential,
    /// (a): a process pool whose every task carries a copy of the matrix.
    Copied,
    /// (b): a process pool whose tasks carry a shared-memory handle.
    SharedMemory,
    /// (c): a thread pool; every thread reads the one matrix.
    Threads,
    /// (c) with the simulated GIL on: one thread runs at a time.
    ThreadsUnderGil,
}

impl Way {
    /// Every way, in the order [`PathDemo::four_ways`](crate::demo::PathDemo::four_ways) runs them.
    pub const ALL: [Way; 5] = [Way::Sequential, Way::Copied, Way::SharedMemory, Way::Threads, Way::ThreadsUnderGil];

    /// The label of this way's run on `workers` workers, e.g. `(b) 2 processes + shared memory`.
    ///
    /// ```
    /// use parlab_core::demo::Way;
    /// assert_eq!(Way::Copied.label(4), "(a) 4 processes, matrix copied");
    /// assert_eq!(Way::Sequential.label(4), "(d) sequential");
    /// ```
    pub fn label(self, workers: usize) -> String {
        match self {
            Way::Sequential => "(d) sequential".into(),
            Way::Copied => format!("(a) {workers} processes, matrix copied"),
            Way::SharedMemory => format!("(b) {workers} processes + shared memory"),
            Way::Threads => format!("(c) {workers} threads, shared"),
            Way::ThreadsUnderGil => format!("(c) {workers} threads, GIL on"),
        }
    }
}

/// What [`PathDemo::four_ways_with`](crate::demo::PathDemo::four_ways_with)
/// tells its hook as each way starts and ends (a progress line, a spinner).
#[derive(Clone, Copy, Debug)]
pub enum Progress<'a> {
    /// `way` is about to run; its run will be labelled `label`.
    Started {
        /// The way.
        way: Way,
        /// Its label ([`Way::label`]).
        label: &'a str,
    },
    /// `way` has run and its pools are gone.
    Finished {
        /// The way.
        way: Way,
        /// What it found and recorded.
        outcome: &'a Outcome,
    },
}

/// The distances one way computed, and its recorded run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    /// One per pair, in the demo's order.
    pub distances: Vec<Option<usize>>,
    /// What the executor recorded (labelled with the way).
    pub run: Run,
}

/// All ways of one demo, in the order of [`Way::ALL`]: (d), (a), (b), (c), (c) with the GIL.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FourWays {
    /// One outcome per way.
    pub outcomes: Vec<Outcome>,
}

impl FourWays {
    /// The runs, for [`compare`](crate::record::compare) and charts.
    pub fn runs(&self) -> Vec<&Run> {
        self.outcomes.iter().map(|o| &o.run).collect()
    }

    /// True when every way found the same distances.
    pub fn agree(&self) -> bool {
        self.disagreeing().is_none()
    }

    /// The first way whose distances differ from the first way's, if any.
    pub fn disagreeing(&self) -> Option<&Outcome> {
        let first = self.outcomes.first()?;
        self.outcomes.iter().find(|o| o.distances != first.distances)
    }
}

//! The one error type every fallible call in parlab returns.
//!
//! Invariant: bad input and broken machinery surface here as values with a
//! sentence a learner can act on. Nothing in the library panics on bad input.

use std::time::Duration;

/// Everything that can go wrong when submitting work or waiting for it.
///
/// Serialisable, so a process task may return `Result<T, Error>` itself.
#[derive(Debug, Clone, PartialEq, thiserror::Error, serde::Serialize, serde::Deserialize)]
pub enum Error {
    /// A pool was asked for zero workers (or zero threads per process).
    #[error("a pool needs at least one worker, got 0")]
    ZeroWorkers,

    /// `map_chunked` was given a chunk size of zero.
    #[error("chunksize must be at least 1, got 0")]
    ZeroChunksize,

    /// Work was submitted after `shutdown` (or after the pool was dropped).
    #[error("cannot submit: the executor has been shut down (create a new one)")]
    Shutdown,

    /// `result_timeout` gave up before the task finished. The task keeps running.
    #[error("no result within {0:?}; the task is still running")]
    Timeout(Duration),

    /// The task was cancelled before it started.
    #[error("the task was cancelled before it started")]
    Cancelled,

    /// The task panicked; the message is the panic's payload.
    #[error("the task panicked: {0}")]
    Panicked(String),

    /// A worker process died while it held this task (killed, aborted, crashed).
    /// The pool has replaced the worker; resubmit to retry.
    #[error("broken pool: {0}")]
    BrokenPool(String),

    /// `result_timeout` already handed this future's value out.
    #[error("this future's result was already taken")]
    ResultTaken,

    /// The `Spawn` start method re-executes the program, which must call
    /// [`crate::init`] first thing in `main` (Python's `if __name__ == "__main__"` guard).
    #[error(
        "the Spawn start method re-runs this program, so main must call parlab_core::init() \
         before anything else (the Rust form of Python's `if __name__ == \"__main__\"` guard)"
    )]
    NotInitialized,

    /// An argument or result could not cross a process boundary.
    #[error("could not serialise across the process boundary: {0}")]
    Serialization(String),

    /// A value outside the range the call accepts.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),

    /// The request is not possible on this platform or in this host.
    #[error("unsupported: {0}")]
    Unsupported(String),

    /// The operating system refused (fork, socket, shared memory...).
    #[error("operating system error: {0}")]
    Os(String),

    /// An argument or a result is too big to cross a process boundary in one
    /// message. Big data belongs in shared memory ([`crate::shm`]): send its
    /// handle, which is a few bytes, instead of a copy.
    #[error(
        "{what} is {bytes} bytes once encoded, over the {limit}-byte limit on one message between \
         processes; put big data in shared memory (parlab_core::shm) and send its handle instead"
    )]
    TooLarge {
        /// What was too large ("the argument", "the task's result", ...).
        what: String,
        /// Its encoded size, or the size its message would have reached.
        bytes: u64,
        /// The largest message the pool sends or accepts.
        limit: u64,
    },
}

impl Error {
    /// An [`Error::Os`] carrying `what` and the current `errno` text.
    #[cfg_attr(windows, allow(dead_code))] // process pools only
    pub(crate) fn last_os(what: &str) -> Self {
        Error::Os(format!("{what}: {}", std::io::Error::last_os_error()))
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::Os(e.to_string())
    }
}

/// Shorthand used across the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

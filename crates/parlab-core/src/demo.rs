//! The notebooks' demos as library calls, one runner per demo, above the data
//! and algorithms they run ([`graph`](crate::graph)) and the executors they run
//! them on — so a notebook, an example and the `parlab` command run one code.
//!
//! Invariant: a runner starts and ends every pool it uses (workers reaped)
//! before it returns, on success or on error; what cannot be done (a demo
//! whose copies would not fit in memory, a bad chunk size) is refused as an
//! [`Error`](crate::Error) value before any way runs.
//!
//! | demo | runner | what it shows |
//! |---|---|---|
//! | demo 2 | [`PathDemo`] | one big read-only matrix handed to workers four ways: copied, shared memory, threads, sequential |

mod path_demo;
mod ways;

pub use path_demo::PathDemo;
pub use ways::{FourWays, Outcome, Progress, Way};

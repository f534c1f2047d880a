//! Exercises for the notebooks: one module per notebook, each with
//! `check_N(..)` functions that judge a learner's answer and `solution(N)`,
//! which shows the answer only when asked.
//!
//! A check never panics and never judges a wall-time ratio: it reads values,
//! who ran where, and the GIL and CPU records of a run (as [`crate::check`]
//! does), so a busy laptop cannot turn a right answer wrong. It returns a
//! [`Feedback`], which a notebook shows as a sentence saying what is right or
//! what is missing, and why.
//!
//! ```
//! use parlab::prelude::*;
//! let verdict = exercise::visual_guide::check_1(14, 2, 3);
//! assert!(!verdict.passed()); // 3 processes need 5 rounds for 14 tasks
//! println!("{verdict}");
//! println!("{}", exercise::visual_guide::solution(1));
//! ```

mod feedback;

pub use feedback::{Feedback, Solution};

pub mod beyond_one_machine;
pub mod demo_1;
pub mod demo_1b;
pub mod demo_1c;
pub mod demo_1d_freethreaded;
pub mod demo_2;
pub mod demo_2_freethreaded;
pub mod machine_underneath;
pub mod rusts_guarantee;
pub mod visual_guide;
pub mod work_stealing;

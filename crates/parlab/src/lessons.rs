//! The written lessons in `lessons/` as doc tests.
//!
//! Each lesson file is included as the documentation of one item below, so
//! `cargo test --doc -p parlab -- lessons` compiles and runs every ```` ```rust ````
//! block of every lesson, checks that every ```` ```rust,compile_fail ```` block
//! fails to compile, and compiles every ```` ```rust,no_run ```` block.
//! `tests/lessons/run` checks that every lesson file is listed here and in
//! `lessons/SUMMARY.md`, so a new lesson cannot escape testing.
//!
//! Edition 2024 runs each doc test in its own process, several at once: the
//! lessons keep timing assertions loose (or leave them out) and shrink their
//! work with `workload::set_scale`.

/// Lesson 1.
#[doc = include_str!("../../../lessons/01-concurrency-vs-parallelism.md")]
pub struct Lesson01;

/// Lesson 2.
#[doc = include_str!("../../../lessons/02-the-gil.md")]
pub struct Lesson02;

/// Lesson 3.
#[doc = include_str!("../../../lessons/03-threads.md")]
pub struct Lesson03;

/// Lesson 4.
#[doc = include_str!("../../../lessons/04-processes.md")]
pub struct Lesson04;

/// Lesson 5.
#[doc = include_str!("../../../lessons/05-the-guard-and-the-boundary.md")]
pub struct Lesson05;

/// Lesson 6.
#[doc = include_str!("../../../lessons/06-overhead-and-chunking.md")]
pub struct Lesson06;

/// Lesson 7.
#[doc = include_str!("../../../lessons/07-share-results-not-state.md")]
pub struct Lesson07;

/// Lesson 8.
#[doc = include_str!("../../../lessons/08-measure-dont-assume.md")]
pub struct Lesson08;

/// Lesson 9.
#[doc = include_str!("../../../lessons/09-large-read-only-data.md")]
pub struct Lesson09;

/// Lesson 10.
#[doc = include_str!("../../../lessons/10-which-executor.md")]
pub struct Lesson10;

/// Lesson 11.
#[doc = include_str!("../../../lessons/11-algorithm-before-cores.md")]
pub struct Lesson11;

/// Lesson 12.
#[doc = include_str!("../../../lessons/12-rusts-guarantee.md")]
pub struct Lesson12;

/// Lesson 13.
#[doc = include_str!("../../../lessons/13-work-stealing-and-rayon.md")]
pub struct Lesson13;

/// Lesson 14.
#[doc = include_str!("../../../lessons/14-the-machine-underneath.md")]
pub struct Lesson14;

/// Lesson 15.
#[doc = include_str!("../../../lessons/15-beyond-one-machine.md")]
pub struct Lesson15;

/// The glossary.
#[doc = include_str!("../../../lessons/glossary.md")]
pub struct Glossary;

/// The introduction.
#[doc = include_str!("../../../lessons/README.md")]
pub struct Introduction;

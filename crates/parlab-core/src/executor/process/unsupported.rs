//! Process pools on Windows: every constructor answers with an error that
//! names WSL2, because the pools are built on `fork` and Unix sockets.
//!
//! Invariant: a `Pool` cannot exist here (it holds an uninhabited value), so
//! every method past `new` is statically unreachable rather than a stand-in.

use std::time::Duration;

use crate::error::Result;
use crate::executor::contract::{Arg, Output};
use crate::executor::future::Future;
use crate::record::{ExecutorKind, Run};

use super::start_method::StartMethod;

/// No value of this type exists.
enum Never {}

/// The Windows form of the pools' shared part: never constructed.
pub(crate) struct Pool {
    never: Never,
}

impl Pool {
    pub fn new(_workers: usize, _threads: usize, kind: ExecutorKind) -> Result<Pool> {
        let what = match kind {
            ExecutorKind::Hybrid => "HybridPool",
            _ => "ProcessPool",
        };
        Err(crate::platform::needs_unix(what))
    }

    pub fn submit<A: Arg, R: Output>(&self, _f: fn(A) -> R, _arg: A) -> Result<Future<R>> {
        match self.never {}
    }

    pub fn map_chunked<A: Arg, R: Output>(
        &self,
        _f: fn(A) -> R,
        _args: impl IntoIterator<Item = A>,
        _chunksize: usize,
    ) -> Result<Vec<R>> {
        match self.never {}
    }

    pub fn take_run(&self, _name: String) -> Run {
        match self.never {}
    }

    pub fn gil_label(&self) -> &'static str {
        match self.never {}
    }

    pub fn set_gil(&self, _on: bool) {
        match self.never {}
    }

    pub fn set_start_method(&self, _method: StartMethod) {
        match self.never {}
    }

    pub fn set_interval(&self, _interval: Duration) {
        match self.never {}
    }

    pub fn pids(&self) -> Vec<u32> {
        match self.never {}
    }

    pub fn shutdown(&self, _wait: bool, _cancel_futures: bool) {
        match self.never {}
    }

    pub fn shape(&self) -> (usize, usize) {
        match self.never {}
    }
}

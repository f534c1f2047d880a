//! How a `map` cuts its arguments into chunks and gathers the results back.
//!
//! Invariant: results come back in submission order, every chunk is waited
//! for before a `map` returns, and the first error in that order is the one
//! reported. A pool that encodes its tasks ([`map_windowed`]) never holds more
//! than about [`MAX_PENDING_BYTES`] of encoded but unanswered arguments once
//! it has a few chunks per worker in flight.

use std::collections::VecDeque;

use crate::error::{Error, Result};
use crate::executor::future::Future;

/// How many bytes of encoded arguments a pool's `map` keeps waiting for workers.
#[cfg_attr(windows, allow(dead_code))] // process and MPI pools only
pub(crate) const MAX_PENDING_BYTES: usize = 64 << 20;

/// Split `args` into owned chunks of `chunksize`.
pub(crate) fn chunks<A>(args: impl IntoIterator<Item = A>, chunksize: usize) -> Result<Vec<Vec<A>>> {
    if chunksize == 0 {
        return Err(Error::ZeroChunksize);
    }
    let mut out = Vec::new();
    let mut current = Vec::with_capacity(chunksize);
    for a in args {
        current.push(a);
        if current.len() == chunksize {
            out.push(std::mem::replace(&mut current, Vec::with_capacity(chunksize)));
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    Ok(out)
}

/// Wait for every chunk, then return all values or the first error in order.
pub(crate) fn collect_chunks<R>(chunks: Vec<Future<Vec<Result<R>>>>) -> Result<Vec<R>> {
    let (mut values, mut first_err) = (Vec::new(), None);
    for chunk in chunks {
        collect_chunk(chunk, &mut values, &mut first_err);
    }
    first_err.map_or(Ok(values), Err)
}

/// Wait for one chunk; append its values, remember the first error.
fn collect_chunk<R>(chunk: Future<Vec<Result<R>>>, values: &mut Vec<R>, first_err: &mut Option<Error>) {
    match chunk.result() {
        Ok(items) => {
            for item in items {
                match item {
                    Ok(v) => values.push(v),
                    Err(e) => {
                        first_err.get_or_insert(e);
                    }
                }
            }
        }
        Err(e) => {
            first_err.get_or_insert(e);
        }
    }
}

/// `map_chunked` for a pool that encodes its tasks (processes, MPI ranks):
/// cut `args` into chunks of `chunksize`, hand each to `send` — which encodes
/// and dispatches it and returns its future and its encoded size — and gather
/// the results in order.
///
/// Chunks are encoded lazily, and what is encoded but unanswered is bounded:
/// once `min_window` chunks and [`MAX_PENDING_BYTES`] are both waiting, the
/// oldest chunk is collected before the next is encoded. So a big argument
/// sent by copy (a matrix) is held a few times, not once per task — Python's
/// executor bounds its call queue the same way — while small arguments never
/// reach the bound: the caller encodes everything and waits once.
#[cfg_attr(windows, allow(dead_code))] // process and MPI pools only
pub(crate) fn map_windowed<A, R>(
    args: impl IntoIterator<Item = A>,
    chunksize: usize,
    min_window: usize,
    mut send: impl FnMut(Vec<A>) -> Result<(Future<Vec<Result<R>>>, usize)>,
) -> Result<Vec<R>> {
    if chunksize == 0 {
        return Err(Error::ZeroChunksize);
    }
    let mut pending: VecDeque<(Future<Vec<Result<R>>>, usize)> = VecDeque::new();
    let mut pending_bytes = 0;
    let (mut values, mut first_err) = (Vec::new(), None);
    let mut args = args.into_iter().peekable();
    while args.peek().is_some() {
        while pending.len() >= min_window && pending_bytes >= MAX_PENDING_BYTES {
            let Some((oldest, bytes)) = pending.pop_front() else { break };
            pending_bytes -= bytes;
            collect_chunk(oldest, &mut values, &mut first_err);
        }
        let chunk: Vec<A> = args.by_ref().take(chunksize).collect();
        let (future, bytes) = send(chunk)?;
        pending.push_back((future, bytes));
        pending_bytes += bytes;
    }
    for (chunk, _) in pending {
        collect_chunk(chunk, &mut values, &mut first_err);
    }
    first_err.map_or(Ok(values), Err)
}

//! A worker rank (1..=N): take jobs from the relay, run them one at a time
//! holding this rank's simulated GIL when asked, answer; keep broadcasts.
//!
//! Invariant: a rank talks to the relay only, and only through MPI; it calls
//! a task's code only once [`Objects::resolve`] found it mapped here.

use std::time::Duration;

use mpi::topology::{Rank, SimpleCommunicator};
use mpi::traits::*;

use super::code::Objects;
use super::frame::{self, DoneWriter, Job, MAX_MESSAGE};
use super::link::{Backoff, TAG_BCAST, TAG_DONE, TAG_HELLO, TAG_JOB, TAG_STOP, watch_parent};
use crate::clock::{TaskClock, now_ns};
use crate::executor::process::wire::{Status, too_large_payload};
use crate::executor::process::worker::Trampoline;
use crate::gil::{DEFAULT_SWITCH_INTERVAL, Gil, ThreadGil};

/// Serve jobs until the relay says stop; returns the exit status.
pub(crate) fn run(world: &SimpleCommunicator) -> i32 {
    watch_parent();
    let rank = world.rank();
    let relay = world.process_at_rank(0);
    let host = mpi::environment::processor_name().unwrap_or_else(|_| "?".into());
    let mut hello = frame::Out::new(frame::HELLO, 16);
    hello.bytes(host.as_bytes()).u32(std::process::id());
    relay.send_with_tag(&hello.0[..], TAG_HELLO);

    let gil = Gil::new(DEFAULT_SWITCH_INTERVAL);
    ThreadGil::publish_for_thread(&gil);
    let mut objects = Objects::default();
    let mut backoff = Backoff::new();
    loop {
        let Some((msg, status)) = relay.immediate_matched_probe() else {
            backoff.wait();
            continue;
        };
        backoff.reset();
        let tag = status.tag();
        let (buf, _) = (msg, status).matched_receive_vec::<u8>();
        match tag {
            TAG_JOB => {
                let took = now_ns();
                let answer = match frame::read_job(buf) {
                    Ok(job) => {
                        gil.set_interval(Duration::from_nanos(job.head.interval_ns));
                        run_job(&job, rank, took, &mut objects)
                    }
                    Err(e) => {
                        eprintln!("parlab: MPI rank {rank} got a malformed job ({e}); stopping");
                        return 3;
                    }
                };
                relay.send_with_tag(&answer[..], TAG_DONE);
            }
            TAG_BCAST => {
                // The notice says which broadcast and how long; then everyone joins the collective.
                let (Some(id), Some(len)) = (word(&buf, 0), word(&buf, 1)) else { return 3 };
                let mut data = vec![0u8; len as usize];
                relay.broadcast_into(&mut data[..]);
                super::bcast::store(id, data);
            }
            TAG_STOP => return 0,
            other => {
                eprintln!("parlab: MPI rank {rank} got a message with unknown tag {other}; stopping");
                return 3;
            }
        }
    }
}

fn word(buf: &[u8], k: usize) -> Option<u64> {
    Some(u64::from_le_bytes(buf.get(8 * k..8 * k + 8)?.try_into().ok()?))
}

/// Run every item of `job` into one answer.
fn run_job(job: &Job, rank: Rank, took: u64, objects: &mut Objects) -> Vec<u8> {
    let h = &job.head;
    let mut out = DoneWriter::new(rank as u32, h.id, took);
    let code = objects.resolve(&h.tramp.0, h.tramp.1).and_then(|t| Ok((t, objects.resolve(&h.func.0, h.func.1)?)));
    let (tramp, func) = match code {
        Ok(pair) => pair,
        Err(why) => {
            let msg = format!("MPI rank {rank} refused the task: {why}");
            for (index, _) in &job.items {
                out.item(*index, |o| {
                    o.extend_from_slice(msg.as_bytes());
                    (Status::Refused, [0, 0, 0], None)
                });
            }
            return out.finish(now_ns());
        }
    };
    // SAFETY: `tramp` is the offset of a `Trampoline` the caller monomorphised,
    // found mapped in this process by `resolve`, and `func` that of the matching `fn(A) -> R`.
    let tramp: Trampoline = unsafe { std::mem::transmute::<usize, Trampoline>(tramp) };
    let n = job.items.len();
    for (i, (index, range)) in job.items.iter().enumerate() {
        let arg = job.arg(range);
        out.item(*index, |o| {
            let start = o.len();
            let mut call = || {
                let wait0 = crate::gil::waited_ns();
                let clock = TaskClock::start();
                // SAFETY: see above.
                let status = unsafe { tramp(func, arg, o) };
                let (s, e, cpu) = clock.stop();
                (status, [s, e, crate::gil::waited_ns() - wait0], cpu)
            };
            let (status, times, cpu) = if h.gil {
                ThreadGil::with_current(|slot| match slot {
                    Some(slot) => slot.hold(call),
                    None => call(),
                })
            } else {
                call()
            };
            // Leave room for the items still to come at their smallest.
            let rest = (n - i - 1) * (frame::ITEM_HEAD + 24);
            if o.len().saturating_add(rest) <= MAX_MESSAGE {
                return (status, times, cpu);
            }
            let reached = o.len() - start;
            o.truncate(start);
            o.extend_from_slice(&too_large_payload(reached as u64, MAX_MESSAGE as u64, n as u64));
            (Status::TooLarge, times, cpu)
        });
    }
    out.finish(now_ns())
}

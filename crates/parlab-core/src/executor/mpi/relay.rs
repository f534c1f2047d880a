//! Rank 0: the bridge between the caller (a program or a notebook kernel,
//! which is not an MPI process) and the worker ranks.
//!
//! Invariant: the relay forwards every job to the rank the caller chose and
//! every answer back, unchanged and in order. A rank is sent a job only when
//! it holds none (a job the caller prefetched waits here): a big message
//! to a busy rank would block the relay in `MPI_Send` until that rank is done,
//! and the other ranks' answers with it. A broadcast runs only when no rank
//! holds or awaits a job (a collective must not wait on a busy rank, nor a
//! busy rank's answer on the collective). If the caller's socket ends
//! without a stop message, the caller is gone: the relay aborts the whole MPI
//! job, so no rank outlives it.

use std::collections::VecDeque;
use std::io::ErrorKind;

use crossbeam_channel::{Receiver, RecvTimeoutError, TryRecvError};
use mpi::topology::SimpleCommunicator;
use mpi::traits::*;

use super::frame::{self, BCAST, BCAST_DONE, JOB, STOP};
use super::link::{Backoff, Stream, TAG_BCAST, TAG_DONE, TAG_HELLO, TAG_JOB, TAG_STOP, watch_parent};

/// Serve the caller until it says stop; returns the exit status. The relay
/// reaches its caller through `connect` once every rank has said where it
/// runs, and proves itself with `token`.
pub(crate) fn run(
    world: &SimpleCommunicator,
    connect: impl FnOnce() -> std::io::Result<Box<dyn Stream>>,
    token: u64,
) -> i32 {
    watch_parent();
    let size = world.size() as usize;
    // Every rank says where it runs before the caller hears from anyone.
    let mut ranks = vec![(mpi::environment::processor_name().unwrap_or_else(|_| "?".into()), std::process::id())];
    for r in 1..size {
        let (buf, _) = world.process_at_rank(r as i32).receive_vec_with_tag::<u8>(TAG_HELLO);
        let mut d = match frame::In::new(&buf, frame::HELLO) {
            Ok(d) => d,
            Err(_) => return 3,
        };
        let (Ok(host), Ok(pid)) = (d.text(), d.u32()) else { return 3 };
        ranks.push((host, pid));
    }
    let mut out = match connect() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("parlab: the MPI relay could not connect back to its caller: {e}");
            world.abort(4);
        }
    };
    let reader = out.split();
    let sent = out.write_all(&token.to_le_bytes()).and_then(|()| frame::send(&mut out, &frame::hello(&ranks)));
    let (Ok(reader), Ok(())) = (reader, sent) else { world.abort(4) };
    let from_caller = read_caller(reader);

    let mut outstanding = vec![0usize; size];
    let mut waiting: Vec<VecDeque<Vec<u8>>> = vec![VecDeque::new(); size];
    let mut held: VecDeque<Vec<u8>> = VecDeque::new(); // what came after a broadcast that waits
    let mut bcast: Option<Vec<u8>> = None;
    let mut backoff = Backoff::new();
    loop {
        let mut busy = false;
        // From the caller: forward jobs until a broadcast must wait for idle ranks.
        while bcast.is_none() {
            let msg = match held.pop_front() {
                Some(m) => m,
                None => match from_caller.try_recv() {
                    Ok(Some(m)) => m,
                    Ok(None) | Err(TryRecvError::Disconnected) => world.abort(5), // the caller is gone
                    Err(TryRecvError::Empty) => break,
                },
            };
            busy = true;
            match frame::tag(&msg) {
                Some(JOB) => match frame::job_rank(&msg) {
                    Ok(r) if (1..size).contains(&(r as usize)) => {
                        let r = r as usize;
                        if outstanding[r] == 0 {
                            world.process_at_rank(r as i32).send_with_tag(&msg[..], TAG_JOB);
                            outstanding[r] = 1;
                        } else {
                            waiting[r].push_back(msg);
                        }
                    }
                    _ => world.abort(6),
                },
                Some(BCAST) => bcast = Some(msg),
                Some(STOP) => {
                    for r in 1..size {
                        world.process_at_rank(r as i32).send_with_tag(&[0u8; 0][..], TAG_STOP);
                    }
                    out.close_write();
                    return 0;
                }
                _ => world.abort(6),
            }
        }
        if bcast.is_some() && outstanding.iter().all(|&n| n == 0) && waiting.iter().all(VecDeque::is_empty) {
            let msg = bcast.take().expect("checked");
            let Ok((id, data)) = bcast_parts(&msg) else { world.abort(6) };
            let mut notice = Vec::with_capacity(16);
            notice.extend_from_slice(&id.to_le_bytes());
            notice.extend_from_slice(&(data.len() as u64).to_le_bytes());
            for r in 1..size {
                world.process_at_rank(r as i32).send_with_tag(&notice[..], TAG_BCAST);
            }
            let mut data = data.to_vec();
            world.process_at_rank(0).broadcast_into(&mut data[..]);
            let mut ack = frame::Out::new(BCAST_DONE, 8);
            ack.u64(id);
            if frame::send(&mut out, &ack.0).is_err() {
                world.abort(5);
            }
            busy = true;
        }
        // From the ranks: answers back to the caller.
        while let Some((msg, status)) = world.any_process().immediate_matched_probe_with_tag(TAG_DONE) {
            let r = status.source_rank() as usize;
            let (buf, _) = (msg, status).matched_receive_vec::<u8>();
            outstanding[r] = 0;
            // The rank's next job first: it is idle until it has one.
            if let Some(next) = waiting[r].pop_front() {
                world.process_at_rank(r as i32).send_with_tag(&next[..], TAG_JOB);
                outstanding[r] = 1;
            }
            if frame::send(&mut out, &buf).is_err() {
                world.abort(5);
            }
            busy = true;
        }
        if busy {
            backoff.reset();
            continue;
        }
        // Idle: wait on the caller's channel, so a new job wakes the relay at once.
        let d = backoff.next();
        if d.is_zero() {
            std::thread::yield_now();
        } else if bcast.is_none() {
            match from_caller.recv_timeout(d) {
                Ok(Some(m)) => held.push_back(m),
                Err(RecvTimeoutError::Timeout) => {}
                Ok(None) | Err(RecvTimeoutError::Disconnected) => world.abort(5),
            }
        } else {
            std::thread::sleep(d);
        }
    }
}

fn bcast_parts(msg: &[u8]) -> std::io::Result<(u64, &[u8])> {
    let mut d = frame::In::new(msg, BCAST)?;
    let id = d.u64()?;
    let r = d.range()?;
    d.end()?;
    Ok((id, &msg[r]))
}

/// A thread that reads the caller's messages into a channel; `None` when
/// the socket ends (or breaks).
fn read_caller(mut sock: Box<dyn Stream>) -> Receiver<Option<Vec<u8>>> {
    let (tx, rx) = crossbeam_channel::unbounded();
    let spawned = std::thread::Builder::new().name("parlab-mpi-relay-reader".into()).spawn(move || {
        loop {
            match frame::recv(&mut sock) {
                Ok(Some(m)) => {
                    if tx.send(Some(m)).is_err() {
                        return;
                    }
                }
                Ok(None) => break,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(_) => break,
            }
        }
        let _ = tx.send(None);
    });
    if spawned.is_err() {
        eprintln!("parlab: the MPI relay could not start its reader thread");
        std::process::exit(4);
    }
    rx
}

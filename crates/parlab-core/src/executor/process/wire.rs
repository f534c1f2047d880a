//! The bytes a pool and its worker processes exchange over their socket.
//!
//! Invariant: every message is one frame — a little-endian `u32` length, then
//! that many bytes, the first four a tag naming the kind of frame — written
//! whole by one writer at a time (a worker's threads take a lock; the pool
//! writes a frame inline only while no earlier frame is still with that
//! worker's writer thread), so frames never interleave. A clean end of stream
//! between frames means the other side closed on purpose.
//!
//! The reader trusts nothing in a frame: whatever the bytes, it returns a
//! frame or an error (`InvalidData` for a malformed frame, `UnexpectedEof`
//! for a peer that closed mid-frame), never panics, and allocates in
//! proportion to the bytes that actually arrived, not to what a length field
//! claims (postcard reads a sequence's length as a claim too: serde reserves
//! at most 1 MiB for it up front, and the rest only as elements arrive).
//!
//! What a frame says about its items is a serde-derived struct, encoded with
//! postcard; the items' bytes (task arguments and results, already encoded by
//! the generic code that knows their types) sit back to back beside it, never
//! inside it, so they are written once and read in place:
//! - a job frame is `plJ2`, the [`JobHead`], then the arguments, so a worker
//!   reads each argument where it arrived;
//! - an answer frame is `plD2`, the results, then the [`DoneHead`] and its
//!   length as a `u32` — the head last, so each result is encoded straight
//!   into the frame by the trampoline, before its size is known;
//! - a "started" frame is `plS2` and the job's id.

use std::io::{self, Read};
use std::ops::Range;
use std::os::fd::AsFd;

use rustix::io::Errno;
use rustix::net::SendFlags;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// What a job's frame says before its items.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub(crate) struct JobHeader {
    pub id: u64,
    /// Address (fork) or offset from the executable's base (spawn) of the trampoline.
    pub tramp: u64,
    /// Address or offset of the task function.
    pub func: u64,
    /// Run the items holding the worker process's simulated GIL.
    pub gil: bool,
    /// The GIL's switch interval, in nanoseconds.
    pub interval_ns: u64,
}

/// A job frame's head: the header, then each item's task index and the
/// length of its argument (the arguments follow the head, in this order).
#[derive(Debug, Serialize, Deserialize)]
struct JobHead {
    header: JobHeader,
    items: Vec<JobItem>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
struct JobItem {
    index: u64,
    len: u64,
}

/// One batch of items (a chunk) for a worker to run with one function.
/// The arguments stay in the frame they arrived in.
#[derive(Debug)]
pub(crate) struct JobMsg {
    pub header: JobHeader,
    buf: Vec<u8>,
    /// `(task index, where its encoded argument is in the frame)`.
    pub items: Vec<(u64, Range<usize>)>,
}

impl JobMsg {
    /// The encoded argument of an item.
    pub fn arg(&self, range: &Range<usize>) -> &[u8] {
        &self.buf[range.clone()]
    }
}

/// How an item ended, as the trampoline reports it.
///
/// On this wire it is a serde enum (postcard writes the variant's index);
/// the MPI pool's messages carry it as the byte of its `repr`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[repr(u8)]
pub(crate) enum Status {
    /// The payload is the encoded result.
    Ok = 0,
    /// The task panicked; the payload is the panic message.
    Panicked = 1,
    /// The argument or result did not (de)serialise; the payload says why.
    Serde = 2,
    /// The worker would not run the item (its code is not mapped there).
    Refused = 3,
    /// The result would have made the answer frame exceed the pool's frame
    /// limit; the payload is [`too_large_payload`] instead.
    TooLarge = 4,
}

impl Status {
    /// The status a byte stands for; `None` for a byte no worker sends.
    #[cfg_attr(not(feature = "mpi"), allow(dead_code))] // the MPI pool's messages carry the byte
    pub fn from_byte(b: u8) -> Option<Status> {
        [Status::Ok, Status::Panicked, Status::Serde, Status::Refused, Status::TooLarge]
            .into_iter()
            .find(|s| *s as u8 == b)
    }
}

/// What a [`Status::TooLarge`] item says: the size reached, the limit, and
/// the items in the job. Fixed-width, so the worker knows its size before
/// it writes one.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
struct TooLarge {
    #[serde(with = "postcard::fixint::le")]
    bytes: u64,
    #[serde(with = "postcard::fixint::le")]
    limit: u64,
    #[serde(with = "postcard::fixint::le")]
    items: u64,
}

/// Bytes of a [`Status::TooLarge`] payload.
pub(crate) const TOO_LARGE_LEN: usize = 24;

/// The payload of a [`Status::TooLarge`] item: the size reached, the limit, the items in the job.
pub(crate) fn too_large_payload(bytes: u64, limit: u64, items: u64) -> [u8; TOO_LARGE_LEN] {
    let mut out = [0; TOO_LARGE_LEN];
    // Cannot fail: three fixed-width u64s fill the array exactly.
    let _ = postcard::to_slice(&TooLarge { bytes, limit, items }, &mut out);
    out
}

/// Read a [`too_large_payload`] back; `None` if it is not one.
pub(crate) fn read_too_large(payload: &[u8]) -> Option<(u64, u64, u64)> {
    match postcard::take_from_bytes::<TooLarge>(payload) {
        Ok((t, [])) => Some((t.bytes, t.limit, t.items)),
        _ => None,
    }
}

/// One item's timing, measured in the worker (its clock).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct ItemTiming {
    pub thread: u32,
    pub start_ns: u64,
    pub end_ns: u64,
    pub cpu_ns: Option<u64>,
    pub gil_wait_ns: u64,
}

/// What an answer frame says about one item; its result is `len` bytes.
/// Times count from the answer's `start_ns`, so their varints are short
/// (an absolute clock reading takes 6 bytes, a task's span 1 to 3).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
struct ItemHead {
    thread: u32,
    /// From the answer's `start_ns` to this item's start.
    after_ns: u64,
    took_ns: u64,
    cpu_ns: Option<u64>,
    gil_wait_ns: u64,
    status: Status,
    len: u64,
}

impl ItemHead {
    fn new(t: &ItemTiming, base: u64, status: Status, len: u64) -> ItemHead {
        ItemHead {
            thread: t.thread,
            after_ns: t.start_ns.saturating_sub(base),
            took_ns: t.end_ns.saturating_sub(t.start_ns),
            cpu_ns: t.cpu_ns,
            gil_wait_ns: t.gil_wait_ns,
            status,
            len,
        }
    }

    /// The timing back on the worker's clock (garbage stays garbage, without overflowing).
    fn timing(&self, base: u64) -> ItemTiming {
        let start_ns = base.saturating_add(self.after_ns);
        ItemTiming {
            thread: self.thread,
            start_ns,
            end_ns: start_ns.saturating_add(self.took_ns),
            cpu_ns: self.cpu_ns,
            gil_wait_ns: self.gil_wait_ns,
        }
    }
}

/// An answer frame's head (at its end): the job, the worker's clock when
/// its first item started, and its items in order.
#[derive(Debug, Serialize, Deserialize)]
struct DoneHead {
    id: u64,
    start_ns: u64,
    items: Vec<ItemHead>,
}

/// Most bytes postcard writes for an [`ItemHead`] (varints: 10 per `u64`,
/// 5 per `u32`, 1 + 10 for an `Option<u64>`, 1 for the status); checked by a test.
pub(crate) const ITEM_HEAD_MAX: usize = 5 + 10 + 10 + 11 + 10 + 1 + 10;

/// Most bytes of an answer frame besides its items' heads and results: the
/// tag, the [`DoneHead`]'s id, start and item count, and the head's length.
const DONE_FIXED_MAX: usize = 4 + 10 + 10 + 10 + 4;

/// One item's result as the pool reads it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ItemOutcome {
    pub timing: ItemTiming,
    pub status: Status,
    /// Where the encoded result (or the panic / serde message as UTF-8) is in the frame.
    pub bytes: Range<usize>,
}

/// A finished job; the results stay in the frame they arrived in.
#[derive(Debug)]
pub(crate) struct DoneMsg {
    pub id: u64,
    buf: Vec<u8>,
    pub items: Vec<ItemOutcome>,
}

impl DoneMsg {
    /// The encoded result (or message) of an item.
    pub fn payload(&self, item: &ItemOutcome) -> &[u8] {
        &self.buf[item.bytes.clone()]
    }
}

/// What a worker sends back.
#[derive(Debug)]
pub(crate) enum Reply {
    /// The worker has taken job `id` and is about to run it: from now on its
    /// tasks may have run (before, they provably did not).
    Started(u64),
    /// A finished job.
    Done(DoneMsg),
}

/// Builds a finished job's frame in place: each item's result is encoded
/// straight into the frame by the trampoline, with no buffer of its own.
pub(crate) struct DoneWriter {
    frame: Vec<u8>,
    id: u64,
    items: Vec<(ItemTiming, Status, u64)>,
}

impl DoneWriter {
    pub fn new(id: u64, items: usize) -> Self {
        let mut frame = Vec::with_capacity(8 + items * (ITEM_HEAD_MAX + 8) + DONE_FIXED_MAX);
        frame.extend_from_slice(&[0; 4]);
        frame.extend_from_slice(&DONE_TAG);
        DoneWriter { frame, id, items: Vec::with_capacity(items) }
    }

    /// Append one item: `run` appends its result to the frame and returns
    /// the status and the timing.
    pub fn item(&mut self, run: impl FnOnce(&mut Vec<u8>) -> (Status, ItemTiming)) {
        let start = self.frame.len();
        let (status, timing) = run(&mut self.frame);
        let len = (self.frame.len() - start) as u64;
        self.items.push((timing, status, len));
    }

    /// Bytes of the last item's result.
    pub fn last_len(&self) -> usize {
        self.items.last().map_or(0, |(_, _, len)| *len as usize)
    }

    /// The most bytes (after the length prefix) the finished frame can
    /// take if `more` items follow, each a [`too_large_payload`].
    pub fn bound(&self, more: usize) -> usize {
        let items = self.items.len().saturating_add(more);
        (self.frame.len() - 4)
            .saturating_add(items.saturating_mul(ITEM_HEAD_MAX))
            .saturating_add(more.saturating_mul(TOO_LARGE_LEN))
            .saturating_add(DONE_FIXED_MAX - 4)
    }

    /// Replace the last item's result by a "too large" report.
    pub fn too_large_last(&mut self, reached: u64, limit: u64, items: u64) {
        let Some((_, status, len)) = self.items.last_mut() else { return };
        self.frame.truncate(self.frame.len() - *len as usize);
        self.frame.extend_from_slice(&too_large_payload(reached, limit, items));
        *status = Status::TooLarge;
        *len = TOO_LARGE_LEN as u64;
    }

    /// Make the last item's head claim `len` bytes, whatever its result is
    /// (tests feed readers such lies).
    #[cfg(test)]
    pub fn claim_last(&mut self, len: u64) {
        if let Some(last) = self.items.last_mut() {
            last.2 = len;
        }
    }

    pub fn finish(mut self) -> io::Result<Vec<u8>> {
        let start_ns = self.items.iter().map(|(t, _, _)| t.start_ns).min().unwrap_or(0);
        let items = self.items.iter().map(|(t, status, len)| ItemHead::new(t, start_ns, *status, *len)).collect();
        let head = DoneHead { id: self.id, start_ns, items };
        let most = (DONE_FIXED_MAX - 8).saturating_add(self.items.len().saturating_mul(ITEM_HEAD_MAX));
        let head_len = append(&head, &mut self.frame, most)? as u32;
        self.frame.extend_from_slice(&head_len.to_le_bytes());
        finish(self.frame)
    }
}

/// The frame a worker sends when it takes job `id`, before running any of it.
pub(crate) fn started_frame(id: u64) -> io::Result<Vec<u8>> {
    let mut frame = tagged(START_TAG, 10);
    append(&id, &mut frame, 10)?;
    finish(frame)
}

/// Largest frame accepted (guards against reading garbage as a length).
/// A pool may set itself a lower limit, never a higher one.
pub(crate) const MAX_FRAME: usize = u32::MAX as usize;

/// What a frame's first bytes say it is; garbage, or a stream out of step,
/// fails here before any field of it is believed. (The `1` versions were
/// the same frames with hand-laid fixed-width heads.)
const JOB_TAG: [u8; 4] = *b"plJ2";
const DONE_TAG: [u8; 4] = *b"plD2";
const START_TAG: [u8; 4] = *b"plS2";

/// Bytes reserved for a frame before its bytes arrive. A length field of
/// garbage then costs this much, not 4 GiB; a real big frame grows as it
/// arrives (by doubling, so in a few reallocations).
const FIRST_ALLOC: usize = 1 << 20;

fn malformed(what: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what)
}

fn invalid_input(what: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, what)
}

/// A frame's first bytes: room for its length, and its tag.
fn tagged(tag: [u8; 4], capacity: usize) -> Vec<u8> {
    let mut v = Vec::with_capacity(capacity + 8);
    v.extend_from_slice(&[0; 4]);
    v.extend_from_slice(&tag);
    v
}

/// Append `value`'s postcard encoding, at most `most` bytes, to `out`;
/// returns its length. Through a slice, because postcard's `Vec` and
/// `io::Write` writers go a byte at a time (measured: an answer of 100 items
/// took 2× as long to encode and read back that way as the hand-laid
/// fixed-width head before it; see BENCHMARKS.md).
fn append<T: Serialize + ?Sized>(value: &T, out: &mut Vec<u8>, most: usize) -> io::Result<usize> {
    let at = out.len();
    out.resize(at + most, 0);
    let used = postcard::to_slice(value, &mut out[at..]).map(|used| used.len());
    out.truncate(at + used.as_ref().map_or(0, |n| *n));
    used.map_err(|e| invalid_input(format!("could not encode a frame head: {e}")))
}

/// Write the frame's length into its first four bytes.
fn finish(mut frame: Vec<u8>) -> io::Result<Vec<u8>> {
    let len = frame.len() - 4;
    if len > MAX_FRAME {
        return Err(invalid_input("message larger than 4 GiB".into()));
    }
    frame[..4].copy_from_slice(&(len as u32).to_le_bytes());
    Ok(frame)
}

/// Encode a job as one frame; `items` are `(task index, encoded argument)`.
/// A frame that would be over `limit` bytes (after its length prefix) is
/// not built: the error is its size.
pub(crate) fn encode_job<'a>(
    header: &JobHeader,
    items: impl ExactSizeIterator<Item = (u64, &'a [u8])> + Clone,
    limit: usize,
) -> Result<Vec<u8>, usize> {
    let head = JobHead {
        header: *header,
        items: items.clone().map(|(index, arg)| JobItem { index, len: arg.len() as u64 }).collect(),
    };
    let args: usize = items.clone().fold(0usize, |n, (_, arg)| n.saturating_add(arg.len()));
    let head_len = postcard::experimental::serialized_size(&head).map_err(|_| usize::MAX)?;
    let len = args.saturating_add(head_len).saturating_add(4);
    if len > limit.min(MAX_FRAME) {
        return Err(len);
    }
    let mut frame = tagged(JOB_TAG, len);
    append(&head, &mut frame, head_len).map_err(|_| len)?;
    for (_, arg) in items {
        frame.extend_from_slice(arg);
    }
    finish(frame).map_err(|_| len)
}

/// Bytes (after the length prefix) an answer to `items` items can take at
/// most when every item's result is a [`too_large_payload`]: a worker can
/// always send that, so the pool refuses a job whose answer would not fit it.
pub(crate) fn done_frame_bound(items: usize) -> usize {
    items.saturating_mul(ITEM_HEAD_MAX + TOO_LARGE_LEN).saturating_add(DONE_FIXED_MAX)
}

/// Read one frame; `Ok(None)` on a clean end of stream.
fn read_frame(r: &mut impl Read) -> io::Result<Option<Vec<u8>>> {
    let mut len = [0u8; 4];
    let mut got = 0;
    while got < 4 {
        match r.read(&mut len[got..]) {
            Ok(0) if got == 0 => return Ok(None),
            Ok(0) => return Err(closed_mid_frame(got, 4)),
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    let len = u32::from_le_bytes(len) as usize;
    let mut buf = Vec::with_capacity(len.min(FIRST_ALLOC));
    let got = Read::take(&mut *r, len as u64).read_to_end(&mut buf)?;
    if got < len {
        return Err(closed_mid_frame(got + 4, len + 4));
    }
    Ok(Some(buf))
}

fn closed_mid_frame(got: usize, want: usize) -> io::Error {
    io::Error::new(
        io::ErrorKind::UnexpectedEof,
        format!("the peer closed the socket in the middle of a frame ({got} of its {want} bytes arrived)"),
    )
}

/// The frame's tag, or an error naming what was expected.
fn tag_of<'a>(buf: &'a [u8], kind: &str) -> io::Result<&'a [u8]> {
    match buf.get(..4) {
        Some(tag) => Ok(tag),
        None => Err(malformed(format!("a {}-byte frame has no room for a tag: not a {kind} frame", buf.len()))),
    }
}

fn not_a(kind: &str, got: &[u8], want: &[u8]) -> io::Error {
    malformed(format!(
        "not a {kind} frame (it starts {got:02x?}, not {want:02x?}): the stream is corrupt or out of step"
    ))
}

/// Decode a head that must fill `bytes` exactly.
fn decode_head<T: DeserializeOwned>(bytes: &[u8], what: &str) -> io::Result<T> {
    match postcard::take_from_bytes::<T>(bytes) {
        Ok((head, [])) => Ok(head),
        Ok((_, rest)) => Err(malformed(format!("{} stray bytes after the {what}", rest.len()))),
        Err(e) => Err(malformed(format!("unreadable {what}: {e}"))),
    }
}

/// Lay items' bytes back to back from `start`, given their lengths: each
/// item and its range go to `place`. They must end exactly at `end`.
fn lay_out<I>(
    items: &[I],
    len: impl Fn(&I) -> u64,
    start: usize,
    end: usize,
    mut place: impl FnMut(&I, Range<usize>),
) -> io::Result<()> {
    let mut at = start;
    for item in items {
        let len = len(item);
        let next = usize::try_from(len).ok().and_then(|n| at.checked_add(n)).filter(|&e| e <= end);
        let Some(next) = next else {
            return Err(malformed(format!("an item claims {len} bytes at byte {at}, but only {} are left", end - at)));
        };
        place(item, at..next);
        at = next;
    }
    match end - at {
        0 => Ok(()),
        extra => Err(malformed(format!("{extra} stray bytes after the frame's last item"))),
    }
}

/// Read the next job; `Ok(None)` when the pool closed the socket.
pub(crate) fn read_job(r: &mut impl Read) -> io::Result<Option<JobMsg>> {
    let Some(buf) = read_frame(r)? else { return Ok(None) };
    let tag = tag_of(&buf, "job")?;
    if tag != JOB_TAG {
        return Err(not_a("job", tag, &JOB_TAG));
    }
    let (head, args) =
        postcard::take_from_bytes::<JobHead>(&buf[4..]).map_err(|e| malformed(format!("unreadable job head: {e}")))?;
    let at = buf.len() - args.len();
    let mut items = Vec::with_capacity(head.items.len());
    lay_out(&head.items, |i| i.len, at, buf.len(), |i, r| items.push((i.index, r)))?;
    Ok(Some(JobMsg { header: head.header, buf, items }))
}

/// Read the next reply from a worker; `Ok(None)` when it closed the socket.
pub(crate) fn read_reply(r: &mut impl Read) -> io::Result<Option<Reply>> {
    let Some(buf) = read_frame(r)? else { return Ok(None) };
    let tag = tag_of(&buf, "result")?;
    if tag == START_TAG {
        return Ok(Some(Reply::Started(decode_head(&buf[4..], "\"started\" frame")?)));
    }
    if tag != DONE_TAG {
        return Err(not_a("result", tag, &DONE_TAG));
    }
    let n = buf.len();
    let head_len = match buf.get(n.saturating_sub(4)..).filter(|_| n >= 8) {
        Some(b) => u32::from_le_bytes(b.try_into().expect("4 bytes")) as usize,
        None => return Err(malformed(format!("a {n}-byte result frame has no room for its head"))),
    };
    let Some(head_at) = (n - 4).checked_sub(head_len).filter(|&at| at >= 4) else {
        return Err(malformed(format!("a result frame of {n} bytes claims a head of {head_len}")));
    };
    let head: DoneHead = decode_head(&buf[head_at..n - 4], "result head")?;
    let mut items = Vec::with_capacity(head.items.len());
    lay_out(
        &head.items,
        |i| i.len,
        4,
        head_at,
        |i, bytes| items.push(ItemOutcome { timing: i.timing(head.start_ns), status: i.status, bytes }),
    )?;
    Ok(Some(Reply::Done(DoneMsg { id: head.id, buf, items })))
}

/// Send a whole frame. A dead peer is an error value, not a SIGPIPE that
/// kills the host (a notebook kernel may not ignore it): `MSG_NOSIGNAL` on
/// Linux, the socket's `SO_NOSIGPIPE` (set by [`no_sigpipe`]) on macOS.
pub(crate) fn send_frame(sock: &impl AsFd, mut frame: &[u8]) -> io::Result<()> {
    while !frame.is_empty() {
        match rustix::net::send(sock, frame, NO_SIGPIPE) {
            Ok(n) => frame = &frame[n..],
            Err(Errno::INTR) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// The send flag that turns SIGPIPE into `EPIPE`, where the OS has one.
#[cfg(any(target_os = "linux", target_os = "android"))]
const NO_SIGPIPE: SendFlags = SendFlags::NOSIGNAL;
#[cfg(not(any(target_os = "linux", target_os = "android")))]
const NO_SIGPIPE: SendFlags = SendFlags::empty();

/// Make writes to a closed peer fail with `EPIPE` rather than raise SIGPIPE.
/// Linux does it per call with [`NO_SIGPIPE`]; Apple's systems per socket.
pub(crate) fn no_sigpipe(sock: &impl AsFd) -> io::Result<()> {
    #[cfg(target_vendor = "apple")]
    rustix::net::sockopt::set_socket_nosigpipe(sock, true)?;
    let _ = sock;
    Ok(())
}

/// Send as much of `frame` as the socket takes now; returns how much that was.
/// Never blocks, so the pool may call it holding its lock.
pub(crate) fn send_nowait(sock: &impl AsFd, frame: &[u8]) -> io::Result<usize> {
    let mut sent = 0;
    while sent < frame.len() {
        match rustix::net::send(sock, &frame[sent..], NO_SIGPIPE | SendFlags::DONTWAIT) {
            Ok(n) => sent += n,
            Err(Errno::INTR) => continue,
            Err(Errno::WOULDBLOCK) => break,
            Err(e) => return Err(e.into()),
        }
    }
    Ok(sent)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn done(frame: &[u8]) -> DoneMsg {
        match read_reply(&mut &frame[..]).unwrap().unwrap() {
            Reply::Done(d) => d,
            Reply::Started(id) => panic!("a started frame for {id}"),
        }
    }

    #[test]
    fn frames_round_trip() {
        let header = JobHeader { id: 7, tramp: 1, func: 2, gil: true, interval_ns: 5_000_000 };
        let args: Vec<(u64, Vec<u8>)> = vec![(0, vec![1, 2, 3]), (1, vec![])];
        let frame = encode_job(&header, args.iter().map(|(i, b)| (*i, b.as_slice())), MAX_FRAME).unwrap();
        let back = read_job(&mut &frame[..]).unwrap().unwrap();
        assert_eq!(back.header, header);
        let got: Vec<(u64, Vec<u8>)> = back.items.iter().map(|(i, r)| (*i, back.arg(r).to_vec())).collect();
        assert_eq!(got, args);

        let timing = ItemTiming { thread: 1, start_ns: 10, end_ns: 20, cpu_ns: None, gil_wait_ns: 5 };
        let mut w = DoneWriter::new(7, 2);
        w.item(|out| {
            out.extend_from_slice(b"boom");
            (Status::Panicked, timing)
        });
        w.item(|_| (Status::Ok, ItemTiming { cpu_ns: Some(9), ..timing }));
        let frame = w.finish().unwrap();
        let back = done(&frame);
        assert_eq!(back.id, 7);
        assert_eq!(back.payload(&back.items[0]), b"boom");
        assert_eq!((back.items[0].status, back.items[0].timing), (Status::Panicked, timing));
        assert_eq!(back.payload(&back.items[1]), b"");
        assert_eq!(back.items[1].timing.cpu_ns, Some(9));
        assert!(read_reply(&mut &[][..]).unwrap().is_none());
        assert!(read_reply(&mut &frame[..frame.len() - 1]).is_err());
    }

    #[test]
    fn started_frames_sizes_and_too_large_reports_read_back() {
        let started = started_frame(41).unwrap();
        assert!(matches!(read_reply(&mut &started[..]).unwrap(), Some(Reply::Started(41))));

        let header = JobHeader { id: 1, tramp: 2, func: 3, gil: false, interval_ns: 4 };
        let args: [&[u8]; 3] = [b"abc", b"", &[7; 100]];
        let items = || args.iter().enumerate().map(|(i, a)| (i as u64, *a));
        let frame = encode_job(&header, items(), MAX_FRAME).unwrap();
        let len = frame.len() - 4;
        assert_eq!(encode_job(&header, items(), len), Ok(frame.clone()), "a frame of exactly the limit is built");
        assert_eq!(encode_job(&header, items(), len - 1), Err(len), "one byte over the limit is refused");

        let mut w = DoneWriter::new(u64::MAX, 2);
        let timing = ItemTiming { thread: u32::MAX, start_ns: 1, end_ns: 2, cpu_ns: None, gil_wait_ns: 0 };
        assert_eq!(w.bound(2), done_frame_bound(2));
        for _ in 0..2 {
            w.item(|out| {
                out.extend_from_slice(b"a result too big to send");
                (Status::Ok, timing)
            });
            w.too_large_last(5, 4, 2);
        }
        let bound = w.bound(0);
        let frame = w.finish().unwrap();
        assert!(frame.len() - 4 <= bound && bound <= done_frame_bound(2), "{} {bound}", frame.len() - 4);
        let back = done(&frame);
        assert_eq!(back.items[1].status, Status::TooLarge);
        assert_eq!(read_too_large(back.payload(&back.items[1])), Some((5, 4, 2)));
        assert_eq!(read_too_large(b"short"), None);
    }

    #[test]
    fn the_largest_heads_fit_their_bounds() {
        let item = ItemHead {
            thread: u32::MAX,
            after_ns: u64::MAX,
            took_ns: u64::MAX,
            cpu_ns: Some(u64::MAX),
            gil_wait_ns: u64::MAX,
            status: Status::TooLarge,
            len: u64::MAX,
        };
        assert_eq!(postcard::experimental::serialized_size(&item).unwrap(), ITEM_HEAD_MAX);
        let head = DoneHead { id: u64::MAX, start_ns: u64::MAX, items: vec![] };
        // The item count's varint is 1 byte here; a `usize` count takes at most 10.
        assert_eq!(postcard::experimental::serialized_size(&head).unwrap() - 1 + 10 + 4 + 4, DONE_FIXED_MAX);
        assert_eq!(
            too_large_payload(1, 2, 3).len(),
            postcard::experimental::serialized_size(&TooLarge { bytes: u64::MAX, limit: 0, items: 1 }).unwrap()
        );
    }
}

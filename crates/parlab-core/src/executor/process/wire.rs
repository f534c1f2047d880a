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
//! proportion to the bytes that actually arrived, not to what a length or
//! count field claims.
//!
//! What a frame says is a serde-derived struct, encoded with postcard; the
//! items' bytes (task arguments and results, already encoded by the generic
//! code that knows their types) sit beside it, never inside it, so they are
//! written once and read in place:
//! - a job frame is `plJ2`, the [`JobHead`], then per item its task index
//!   and its argument's length (two little-endian `u64`s) and the argument,
//!   which the worker reads where it arrived;
//! - an answer frame is `plD2`, the [`DoneHead`], then per item a fixed-width
//!   head ([`ITEM_HEAD`] bytes, little-endian) and its result — encoded
//!   straight into the frame by the trampoline, its head filled in after;
//! - a "started" frame is `plS2` and the job's id.
//!
//! The per-item heads are laid by hand, not postcard-encoded, because they
//! are what a `map` pays per item, and postcard measured slower there (see
//! [`ITEM_HEAD`]).

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

/// A job frame's head: the header, and how many items follow.
#[derive(Debug, Serialize, Deserialize)]
struct JobHead {
    header: JobHeader,
    items: u32,
}

/// Bytes of an item's head in a job frame: its task index and its
/// argument's length. Laid by hand for the reason given at [`ITEM_HEAD`]:
/// with the lengths in the postcard head (a `Vec`), encoding and reading
/// back a 100-item job took 46–59 ns per item against 28–36 ns for the
/// hand-laid heads it replaced; this layout 21–35 ns (against 51–56 ns in
/// those minutes).
const JOB_ITEM_HEAD: usize = 8 + 8;

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
/// On the wire, the byte of its `repr` (in an item's fixed-width head).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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

/// An answer frame's head: the job, and how many items follow.
#[derive(Debug, Serialize, Deserialize)]
struct DoneHead {
    id: u64,
    items: u32,
}

/// Most bytes of a [`DoneHead`] (varints: 10 for a `u64`, 5 for a `u32`).
const DONE_HEAD_MAX: usize = 10 + 5;

/// Bytes of an item's head in an answer frame: thread (`u32`), start, end,
/// CPU time (`u64::MAX` for none), GIL wait (`u64`s), status (a byte), and
/// the result's length (`u64`), little-endian.
///
/// Why not a postcard-encoded struct, as the frames' heads are: an item's
/// head is what a `map` pays per item, in the worker and again in the pool.
/// Encoding and reading back a 100-item answer (best of 7 × 20,000 in a
/// release build, alternating with the hand-laid heads this replaced, in the
/// same minutes; BENCHMARKS.md, "Wire format"), postcard took 80 ns per item
/// against 42 ns, and still 111–122 ns against 70–96 ns with times made
/// relative to the first item's start; this layout, written in place with
/// no allocation per item, 38–49 ns against 109–126 ns. The job frame's
/// per-item heads are laid by hand for the same reason.
pub(crate) const ITEM_HEAD: usize = 4 + 8 + 8 + 8 + 8 + 1 + 8;

fn put_item_head(out: &mut [u8], t: &ItemTiming, status: Status, len: u64) {
    let words = [t.start_ns, t.end_ns, t.cpu_ns.unwrap_or(u64::MAX), t.gil_wait_ns];
    out[..4].copy_from_slice(&t.thread.to_le_bytes());
    for (k, w) in words.iter().enumerate() {
        out[4 + 8 * k..12 + 8 * k].copy_from_slice(&w.to_le_bytes());
    }
    out[36] = status as u8;
    out[37..45].copy_from_slice(&len.to_le_bytes());
}

/// An item's head back: timing, status, result length; `None` for a status no worker sends.
fn get_item_head(h: &[u8; ITEM_HEAD]) -> Option<(ItemTiming, Status, u64)> {
    let word = |at: usize| u64::from_le_bytes(h[at..at + 8].try_into().expect("8 bytes"));
    let cpu = word(20);
    let timing = ItemTiming {
        thread: u32::from_le_bytes(h[..4].try_into().expect("4 bytes")),
        start_ns: word(4),
        end_ns: word(12),
        cpu_ns: (cpu != u64::MAX).then_some(cpu),
        gil_wait_ns: word(28),
    };
    Some((timing, Status::from_byte(h[36])?, word(37)))
}

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
    /// Items the frame's head announced, and items written so far.
    items: usize,
    written: usize,
    /// Where the last item's head is, and what it says.
    last: Option<(usize, ItemTiming, Status)>,
}

impl DoneWriter {
    pub fn new(id: u64, items: usize) -> Self {
        let mut frame = tagged(DONE_TAG, DONE_HEAD_MAX + items * (ITEM_HEAD + 8));
        // Cannot fail: DONE_HEAD_MAX is room for any head.
        let _ = append(&DoneHead { id, items: items as u32 }, &mut frame, DONE_HEAD_MAX);
        DoneWriter { frame, items, written: 0, last: None }
    }

    /// Append one item: `run` appends its result to the frame and returns
    /// the status and the timing.
    pub fn item(&mut self, run: impl FnOnce(&mut Vec<u8>) -> (Status, ItemTiming)) {
        let head = self.frame.len();
        self.frame.resize(head + ITEM_HEAD, 0);
        let (status, timing) = run(&mut self.frame);
        let len = (self.frame.len() - head - ITEM_HEAD) as u64;
        put_item_head(&mut self.frame[head..head + ITEM_HEAD], &timing, status, len);
        self.written += 1;
        self.last = Some((head, timing, status));
    }

    /// Bytes of the last item's result.
    pub fn last_len(&self) -> usize {
        self.last.map_or(0, |(head, _, _)| self.frame.len() - head - ITEM_HEAD)
    }

    /// The most bytes (after the length prefix) the finished frame can
    /// take if `more` items follow, each a [`too_large_payload`].
    pub fn bound(&self, more: usize) -> usize {
        (self.frame.len() - 4).saturating_add(more.saturating_mul(ITEM_HEAD + TOO_LARGE_LEN))
    }

    /// Replace the last item's result by a "too large" report.
    pub fn too_large_last(&mut self, reached: u64, limit: u64, items: u64) {
        let Some((head, timing, _)) = self.last else { return };
        self.frame.truncate(head + ITEM_HEAD);
        self.frame.extend_from_slice(&too_large_payload(reached, limit, items));
        put_item_head(&mut self.frame[head..head + ITEM_HEAD], &timing, Status::TooLarge, TOO_LARGE_LEN as u64);
        self.last = Some((head, timing, Status::TooLarge));
    }

    /// Make the last item's head claim `len` bytes, whatever its result is
    /// (tests feed readers such lies).
    #[cfg(test)]
    pub fn claim_last(&mut self, len: u64) {
        if let Some((head, timing, status)) = self.last {
            put_item_head(&mut self.frame[head..head + ITEM_HEAD], &timing, status, len);
        }
    }

    /// The frame; an error if it holds another number of items than its head announced.
    pub fn finish(self) -> io::Result<Vec<u8>> {
        if self.written != self.items {
            return Err(invalid_input(format!("{} items written, {} announced", self.written, self.items)));
        }
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
/// fails here before any field of it is believed. (The `1` versions laid
/// the frames' heads by hand, and marked "started" with a bit of the id.)
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
/// returns its length. Through a slice: postcard's `Vec` and `io::Write`
/// writers go a byte at a time.
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
    let head = JobHead { header: *header, items: u32::try_from(items.len()).map_err(|_| usize::MAX)? };
    let head_len = postcard::experimental::serialized_size(&head).map_err(|_| usize::MAX)?;
    let len =
        items.clone().fold(4 + head_len, |len, (_, arg)| len.saturating_add(JOB_ITEM_HEAD).saturating_add(arg.len()));
    if len > limit.min(MAX_FRAME) {
        return Err(len);
    }
    let mut frame = tagged(JOB_TAG, len);
    append(&head, &mut frame, head_len).map_err(|_| len)?;
    for (index, arg) in items {
        frame.extend_from_slice(&index.to_le_bytes());
        frame.extend_from_slice(&(arg.len() as u64).to_le_bytes());
        frame.extend_from_slice(arg);
    }
    finish(frame).map_err(|_| len)
}

/// Bytes (after the length prefix) an answer to `items` items can take at
/// most when every item's result is a [`too_large_payload`]: a worker can
/// always send that, so the pool refuses a job whose answer would not fit it.
pub(crate) fn done_frame_bound(items: usize) -> usize {
    items.saturating_mul(ITEM_HEAD + TOO_LARGE_LEN).saturating_add(4 + DONE_HEAD_MAX)
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

/// Read the next job; `Ok(None)` when the pool closed the socket.
pub(crate) fn read_job(r: &mut impl Read) -> io::Result<Option<JobMsg>> {
    let Some(buf) = read_frame(r)? else { return Ok(None) };
    let tag = tag_of(&buf, "job")?;
    if tag != JOB_TAG {
        return Err(not_a("job", tag, &JOB_TAG));
    }
    let (head, rest) =
        postcard::take_from_bytes::<JobHead>(&buf[4..]).map_err(|e| malformed(format!("unreadable job head: {e}")))?;
    let n = head.items as usize;
    let mut at = buf.len() - rest.len();
    let mut items = Vec::with_capacity(room_for(n, rest.len(), JOB_ITEM_HEAD)?);
    for _ in 0..n {
        let fixed = buf.get(at..at + JOB_ITEM_HEAD).ok_or_else(|| truncated(at, JOB_ITEM_HEAD))?;
        let word = |k: usize| u64::from_le_bytes(fixed[8 * k..8 * k + 8].try_into().expect("8 bytes"));
        let (index, len) = (word(0), word(1));
        at += JOB_ITEM_HEAD;
        let end = item_end(at, len, buf.len())?;
        items.push((index, at..end));
        at = end;
    }
    no_stray_bytes(buf.len() - at)?;
    Ok(Some(JobMsg { header: head.header, buf, items }))
}

/// `n` items of at least `min` bytes each fit in `room` bytes: a count of
/// garbage cannot reserve memory for more than arrived.
fn room_for(n: usize, room: usize, min: usize) -> io::Result<usize> {
    match n <= room / min {
        true => Ok(n),
        false => Err(malformed(format!("the frame claims {n} items but has room for at most {}", room / min))),
    }
}

fn truncated(at: usize, need: usize) -> io::Error {
    malformed(format!("truncated frame: an item head at byte {at} needs {need} bytes"))
}

/// Where an item of `len` bytes from `at` ends, if that is within `end`.
fn item_end(at: usize, len: u64, end: usize) -> io::Result<usize> {
    let e = usize::try_from(len).ok().and_then(|l| at.checked_add(l)).filter(|&e| e <= end);
    e.ok_or_else(|| malformed(format!("an item claims {len} bytes at byte {at}, but only {} are left", end - at)))
}

fn no_stray_bytes(extra: usize) -> io::Result<()> {
    match extra {
        0 => Ok(()),
        extra => Err(malformed(format!("{extra} stray bytes after the frame's last item"))),
    }
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
    let (head, rest) = postcard::take_from_bytes::<DoneHead>(&buf[4..])
        .map_err(|e| malformed(format!("unreadable result head: {e}")))?;
    let n = head.items as usize;
    let mut at = buf.len() - rest.len();
    let mut items = Vec::with_capacity(room_for(n, rest.len(), ITEM_HEAD)?);
    for _ in 0..n {
        let fixed = buf.get(at..at + ITEM_HEAD).and_then(|h| <&[u8; ITEM_HEAD]>::try_from(h).ok());
        let fixed = fixed.ok_or_else(|| truncated(at, ITEM_HEAD))?;
        let (timing, status, len) = get_item_head(fixed)
            .ok_or_else(|| malformed(format!("unknown item status {} at byte {}", fixed[36], at + 36)))?;
        at += ITEM_HEAD;
        let end = item_end(at, len, buf.len())?;
        items.push(ItemOutcome { timing, status, bytes: at..end });
        at = end;
    }
    no_stray_bytes(buf.len() - at)?;
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

// A child module, so the tests reach the private head layouts.
#[cfg(test)]
#[path = "wire_tests.rs"]
mod tests;

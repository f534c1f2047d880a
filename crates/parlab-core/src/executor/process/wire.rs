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
//! claims.
//!
//! Task arguments and results are already serde-encoded (postcard) by the
//! generic code that knows their types; this layer only moves byte strings.

use std::io::{self, Read};
use std::ops::Range;
use std::os::fd::AsFd;

use rustix::io::Errno;
use rustix::net::SendFlags;

/// What a job's frame says before its items.
#[derive(Debug, Clone, Copy, PartialEq)]
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

/// How an item ended, as the trampoline reports it; one byte on the wire.
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
    /// The status a byte on the wire stands for; `None` for a byte no worker sends.
    pub fn from_byte(b: u8) -> Option<Status> {
        [Status::Ok, Status::Panicked, Status::Serde, Status::Refused, Status::TooLarge]
            .into_iter()
            .find(|s| *s as u8 == b)
    }
}

/// Bytes of a [`Status::TooLarge`] payload.
pub(crate) const TOO_LARGE_LEN: usize = 24;

/// The payload of a [`Status::TooLarge`] item: the size reached, the limit, the items in the job.
pub(crate) fn too_large_payload(bytes: u64, limit: u64, items: u64) -> [u8; TOO_LARGE_LEN] {
    let mut out = [0; TOO_LARGE_LEN];
    out[..8].copy_from_slice(&bytes.to_le_bytes());
    out[8..16].copy_from_slice(&limit.to_le_bytes());
    out[16..].copy_from_slice(&items.to_le_bytes());
    out
}

/// Read a [`too_large_payload`] back; `None` if it is not one.
pub(crate) fn read_too_large(payload: &[u8]) -> Option<(u64, u64, u64)> {
    let field = |k: usize| Some(u64::from_le_bytes(payload.get(8 * k..8 * k + 8)?.try_into().ok()?));
    if payload.len() != TOO_LARGE_LEN {
        return None;
    }
    Some((field(0)?, field(1)?, field(2)?))
}

/// Set in a done frame's id when it only says that the worker has taken the
/// job and is about to run it (a done frame with no items). Job ids count up
/// from 1 and never reach this bit.
pub(crate) const STARTED: u64 = 1 << 63;

/// The frame a worker sends when it takes job `id`, before running any of it.
pub(crate) fn started_frame(id: u64) -> io::Result<Vec<u8>> {
    DoneWriter::new(id | STARTED, 0).finish()
}

/// One item's timing, measured in the worker.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct ItemTiming {
    pub index: u64,
    pub thread: u32,
    pub start_ns: u64,
    pub end_ns: u64,
    pub cpu_ns: Option<u64>,
    pub gil_wait_ns: u64,
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

/// Builds a finished job's frame in place: each item's result is encoded
/// straight into the frame by the trampoline, with no buffer of its own.
pub(crate) struct DoneWriter {
    enc: Enc,
}

/// Bytes of an item's fixed fields in a done frame.
pub(crate) const ITEM_HEAD: usize = 8 + 4 + 8 + 8 + 8 + 8 + 1 + 8;

impl DoneWriter {
    pub fn new(id: u64, items: usize) -> Self {
        let mut enc = Enc::with_capacity(DONE_TAG, 12 + items * (ITEM_HEAD + 8));
        enc.u64(id);
        enc.u32(items as u32);
        DoneWriter { enc }
    }

    /// Append one item: `run` appends its payload to the frame and returns
    /// the status and the timing.
    pub fn item(&mut self, run: impl FnOnce(&mut Vec<u8>) -> (Status, ItemTiming)) {
        let head = self.enc.0.len();
        self.enc.0.resize(head + ITEM_HEAD, 0);
        let (status, t) = run(&mut self.enc.0);
        let len = (self.enc.0.len() - head - ITEM_HEAD) as u64;
        let mut fixed = Enc(Vec::with_capacity(ITEM_HEAD));
        fixed.u64(t.index);
        fixed.u32(t.thread);
        fixed.u64(t.start_ns);
        fixed.u64(t.end_ns);
        fixed.u64(t.cpu_ns.unwrap_or(u64::MAX));
        fixed.u64(t.gil_wait_ns);
        fixed.u8(status as u8);
        fixed.u64(len);
        self.enc.0[head..head + ITEM_HEAD].copy_from_slice(&fixed.0);
    }

    pub fn finish(self) -> io::Result<Vec<u8>> {
        self.enc.finish()
    }
}

/// Largest frame accepted (guards against reading garbage as a length).
/// A pool may set itself a lower limit, never a higher one.
pub(crate) const MAX_FRAME: usize = u32::MAX as usize;

/// What a frame's first bytes say it is; garbage, or a stream out of step,
/// fails here before any field of it is believed.
const JOB_TAG: [u8; 4] = *b"plJ1";
const DONE_TAG: [u8; 4] = *b"plD1";

/// Bytes reserved for a frame before its bytes arrive. A length field of
/// garbage then costs this much, not 4 GiB; a real big frame grows as it
/// arrives (by doubling, so in a few reallocations).
const FIRST_ALLOC: usize = 1 << 20;

/// Bytes of an item's fixed fields in a job frame.
const JOB_ITEM_HEAD: usize = 8 + 8;

fn malformed(what: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what)
}

struct Enc(Vec<u8>);

impl Enc {
    fn with_capacity(tag: [u8; 4], n: usize) -> Self {
        let mut v = Vec::with_capacity(n + 8);
        v.extend_from_slice(&[0; 4]);
        v.extend_from_slice(&tag);
        Enc(v)
    }
    fn u8(&mut self, v: u8) {
        self.0.push(v);
    }
    fn u32(&mut self, v: u32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn u64(&mut self, v: u64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn bytes(&mut self, b: &[u8]) {
        self.u64(b.len() as u64);
        self.0.extend_from_slice(b);
    }
    fn finish(mut self) -> io::Result<Vec<u8>> {
        let len = self.0.len() - 4;
        if len > MAX_FRAME {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "message larger than 4 GiB"));
        }
        self.0[..4].copy_from_slice(&(len as u32).to_le_bytes());
        Ok(self.0)
    }
}

struct Dec<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Dec<'a> {
    fn new(buf: &'a [u8]) -> Self {
        Dec { buf, pos: 0 }
    }
    fn take(&mut self, n: usize) -> io::Result<&'a [u8]> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.buf.len());
        let Some(end) = end else {
            return Err(malformed(format!(
                "truncated frame: a field at byte {} needs {n} bytes, {} are left",
                self.pos,
                self.buf.len() - self.pos
            )));
        };
        let out = &self.buf[self.pos..end];
        self.pos = end;
        Ok(out)
    }
    fn u8(&mut self) -> io::Result<u8> {
        Ok(self.take(1)?[0])
    }
    fn u32(&mut self) -> io::Result<u32> {
        Ok(u32::from_le_bytes(self.take(4)?.try_into().expect("4 bytes")))
    }
    fn u64(&mut self) -> io::Result<u64> {
        Ok(u64::from_le_bytes(self.take(8)?.try_into().expect("8 bytes")))
    }
    /// A length-prefixed byte string, as its range in the buffer.
    fn bytes(&mut self) -> io::Result<Range<usize>> {
        let n = usize::try_from(self.u64()?).unwrap_or(usize::MAX);
        let start = self.pos;
        self.take(n)?;
        Ok(start..self.pos)
    }
    fn tag(&mut self, want: [u8; 4], kind: &str) -> io::Result<()> {
        let got = self.take(4)?;
        if got != want {
            return Err(malformed(format!(
                "not a {kind} frame (it starts {got:02x?}, not {want:02x?}): the stream is corrupt or out of step"
            )));
        }
        Ok(())
    }
    /// An item count, checked against the room left for items of at least
    /// `min_item` bytes, so a garbage count cannot reserve memory for billions.
    fn count(&mut self, min_item: usize) -> io::Result<usize> {
        let n = self.u32()? as usize;
        let room = (self.buf.len() - self.pos) / min_item;
        if n > room {
            return Err(malformed(format!("the frame claims {n} items but has room for at most {room}")));
        }
        Ok(n)
    }
    fn end(&self) -> io::Result<()> {
        match self.buf.len() - self.pos {
            0 => Ok(()),
            extra => Err(malformed(format!("{extra} stray bytes after the frame's last item"))),
        }
    }
}

/// Encode a job as one frame; `items` are `(task index, encoded argument)`.
pub(crate) fn encode_job<'a>(
    h: &JobHeader,
    items: impl ExactSizeIterator<Item = (u64, &'a [u8])> + Clone,
) -> io::Result<Vec<u8>> {
    let payload: usize = items.clone().map(|(_, b)| b.len() + 16).sum();
    let mut e = Enc::with_capacity(JOB_TAG, payload + 48);
    e.u64(h.id);
    e.u64(h.tramp);
    e.u64(h.func);
    e.u8(h.gil as u8);
    e.u64(h.interval_ns);
    e.u32(items.len() as u32);
    for (index, arg) in items {
        e.u64(index);
        e.bytes(arg);
    }
    e.finish()
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

/// Read the next job; `Ok(None)` when the pool closed the socket.
pub(crate) fn read_job(r: &mut impl Read) -> io::Result<Option<JobMsg>> {
    let Some(buf) = read_frame(r)? else { return Ok(None) };
    let mut d = Dec::new(&buf);
    d.tag(JOB_TAG, "job")?;
    let (id, tramp, func) = (d.u64()?, d.u64()?, d.u64()?);
    let gil = match d.u8()? {
        0 => false,
        1 => true,
        b => return Err(malformed(format!("a job's GIL flag is {b}, not 0 or 1"))),
    };
    let interval_ns = d.u64()?;
    let n = d.count(JOB_ITEM_HEAD)?;
    let mut items = Vec::with_capacity(n);
    for _ in 0..n {
        items.push((d.u64()?, d.bytes()?));
    }
    d.end()?;
    Ok(Some(JobMsg { header: JobHeader { id, tramp, func, gil, interval_ns }, buf, items }))
}

/// Read the next finished job; `Ok(None)` when the worker closed the socket.
pub(crate) fn read_done(r: &mut impl Read) -> io::Result<Option<DoneMsg>> {
    let Some(buf) = read_frame(r)? else { return Ok(None) };
    let mut d = Dec::new(&buf);
    d.tag(DONE_TAG, "result")?;
    let id = d.u64()?;
    let n = d.count(ITEM_HEAD)?;
    let mut items = Vec::with_capacity(n);
    for _ in 0..n {
        let (index, thread, start_ns, end_ns) = (d.u64()?, d.u32()?, d.u64()?, d.u64()?);
        let cpu = d.u64()?;
        let gil_wait_ns = d.u64()?;
        let timing =
            ItemTiming { index, thread, start_ns, end_ns, cpu_ns: (cpu != u64::MAX).then_some(cpu), gil_wait_ns };
        let status = d.u8()?;
        let status = Status::from_byte(status).ok_or_else(|| malformed(format!("unknown item status {status}")))?;
        items.push(ItemOutcome { timing, status, bytes: d.bytes()? });
    }
    d.end()?;
    Ok(Some(DoneMsg { id, buf, items }))
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

/// Bytes (after the length prefix) of the frame [`encode_job`] makes for
/// arguments of these encoded lengths.
pub(crate) fn job_frame_len(args: impl Iterator<Item = usize>) -> usize {
    args.fold(4 + 8 + 8 + 8 + 1 + 8 + 4, |n, len| n.saturating_add(16).saturating_add(len))
}

/// Bytes (after the length prefix) a done frame for `items` items needs at
/// least, when every item's payload is a [`too_large_payload`].
pub(crate) fn done_frame_floor(items: usize) -> usize {
    items.saturating_mul(ITEM_HEAD + TOO_LARGE_LEN).saturating_add(4 + 8 + 4)
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

    #[test]
    fn frames_round_trip() {
        let header = JobHeader { id: 7, tramp: 1, func: 2, gil: true, interval_ns: 5_000_000 };
        let args: Vec<(u64, Vec<u8>)> = vec![(0, vec![1, 2, 3]), (1, vec![])];
        let frame = encode_job(&header, args.iter().map(|(i, b)| (*i, b.as_slice()))).unwrap();
        let back = read_job(&mut &frame[..]).unwrap().unwrap();
        assert_eq!(back.header, header);
        let got: Vec<(u64, Vec<u8>)> = back.items.iter().map(|(i, r)| (*i, back.arg(r).to_vec())).collect();
        assert_eq!(got, args);

        let timing = ItemTiming { index: 3, thread: 1, start_ns: 10, end_ns: 20, cpu_ns: None, gil_wait_ns: 5 };
        let mut w = DoneWriter::new(7, 2);
        w.item(|out| {
            out.extend_from_slice(b"boom");
            (Status::Panicked, timing)
        });
        w.item(|_| (Status::Ok, ItemTiming { cpu_ns: Some(9), ..timing }));
        let frame = w.finish().unwrap();
        let back = read_done(&mut &frame[..]).unwrap().unwrap();
        assert_eq!(back.id, 7);
        assert_eq!(back.payload(&back.items[0]), b"boom");
        assert_eq!((back.items[0].status, back.items[0].timing), (Status::Panicked, timing));
        assert_eq!(back.payload(&back.items[1]), b"");
        assert_eq!(back.items[1].timing.cpu_ns, Some(9));
        assert!(read_done(&mut &[][..]).unwrap().is_none());
        assert!(read_done(&mut &frame[..frame.len() - 1]).is_err());
    }

    #[test]
    fn started_frames_sizes_and_too_large_reports_read_back() {
        let started = started_frame(41).unwrap();
        let back = read_done(&mut &started[..]).unwrap().unwrap();
        assert_eq!((back.id, back.items.len()), (41 | STARTED, 0));

        let header = JobHeader { id: 1, tramp: 2, func: 3, gil: false, interval_ns: 4 };
        let args: [&[u8]; 3] = [b"abc", b"", &[7; 100]];
        let frame = encode_job(&header, args.iter().enumerate().map(|(i, a)| (i as u64, *a))).unwrap();
        assert_eq!(job_frame_len(args.iter().map(|a| a.len())), frame.len() - 4);

        let mut w = DoneWriter::new(9, 2);
        let timing = ItemTiming { index: 0, thread: 0, start_ns: 1, end_ns: 2, cpu_ns: None, gil_wait_ns: 0 };
        for _ in 0..2 {
            w.item(|out| {
                out.extend_from_slice(&too_large_payload(5, 4, 2));
                (Status::TooLarge, timing)
            });
        }
        let frame = w.finish().unwrap();
        assert_eq!(done_frame_floor(2), frame.len() - 4);
        let back = read_done(&mut &frame[..]).unwrap().unwrap();
        assert_eq!(read_too_large(back.payload(&back.items[1])), Some((5, 4, 2)));
        assert_eq!(read_too_large(b"short"), None);
    }
}

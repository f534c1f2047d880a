//! The messages an [`super::MpiPool`], its relay (rank 0) and its ranks exchange.
//!
//! Invariant: every message starts with a four-byte tag of its own (`pm…`),
//! distinct from the process pool's (`pl…`), so a stream or buffer of one kind
//! can never be read as the other. Over the caller's socket a message is
//! framed like the process pool's (a little-endian `u32` length, then the
//! bytes); over MPI the message is the bytes alone (MPI keeps the length).
//! The relay forwards job and answer messages unchanged: it reads only the
//! rank a job is for and the rank an answer came from.
//!
//! Decoding trusts nothing: a malformed message is an `InvalidData` error,
//! never a panic. Arguments and results inside are already postcard-encoded
//! by the generic code that knows their types (the process pool's codec).

use std::io::{self, Read, Write};
use std::ops::Range;

use crate::executor::process::wire::Status;

pub(crate) const JOB: [u8; 4] = *b"pmJ1";
pub(crate) const DONE: [u8; 4] = *b"pmD1";
pub(crate) const HELLO: [u8; 4] = *b"pmH1";
pub(crate) const BCAST: [u8; 4] = *b"pmB1";
pub(crate) const BCAST_DONE: [u8; 4] = *b"pmA1";
pub(crate) const STOP: [u8; 4] = *b"pmS1";

/// Largest message: MPI counts are `i32`, and the socket frame's length a `u32`.
pub(crate) const MAX_MESSAGE: usize = i32::MAX as usize;

/// What a job says besides its items.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct JobHead {
    /// The rank (1..=N) that is to run it.
    pub rank: u32,
    pub id: u64,
    /// The trampoline and the task function: each as the object holding it (a
    /// shared library's path, or "" for the rank's own executable) and its offset
    /// from that object's load address. In a notebook they may be in two cells.
    pub tramp: (String, u64),
    pub func: (String, u64),
    pub gil: bool,
    pub interval_ns: u64,
}

/// A job as a rank reads it; the arguments stay in the message.
#[derive(Debug)]
pub(crate) struct Job {
    pub head: JobHead,
    buf: Vec<u8>,
    pub items: Vec<(u64, Range<usize>)>,
}

impl Job {
    pub fn arg(&self, r: &Range<usize>) -> &[u8] {
        &self.buf[r.clone()]
    }
}

/// One item's outcome, timed on the rank's clock.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Item {
    pub index: u64,
    pub start_ns: u64,
    pub end_ns: u64,
    pub cpu_ns: Option<u64>,
    pub gil_wait_ns: u64,
    pub status: Status,
    pub bytes: Range<usize>,
}

/// A rank's answer to one job.
#[derive(Debug)]
pub(crate) struct Done {
    pub id: u64,
    /// Rank's clock when it took the job, and when it sent this answer.
    pub took_ns: u64,
    pub sent_ns: u64,
    buf: Vec<u8>,
    pub items: Vec<Item>,
}

impl Done {
    pub fn payload(&self, item: &Item) -> &[u8] {
        &self.buf[item.bytes.clone()]
    }
}

/// Builds a message: tag first, then fields.
pub(crate) struct Out(pub Vec<u8>);

impl Out {
    pub fn new(tag: [u8; 4], capacity: usize) -> Out {
        let mut v = Vec::with_capacity(capacity + 4);
        v.extend_from_slice(&tag);
        Out(v)
    }
    pub fn u8(&mut self, v: u8) -> &mut Self {
        self.0.push(v);
        self
    }
    pub fn u32(&mut self, v: u32) -> &mut Self {
        self.0.extend_from_slice(&v.to_le_bytes());
        self
    }
    pub fn u64(&mut self, v: u64) -> &mut Self {
        self.0.extend_from_slice(&v.to_le_bytes());
        self
    }
    pub fn bytes(&mut self, b: &[u8]) -> &mut Self {
        self.u64(b.len() as u64);
        self.0.extend_from_slice(b);
        self
    }
}

fn bad(what: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.into())
}

/// Reads a message's fields in order.
pub(crate) struct In<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> In<'a> {
    /// Start reading `buf`, which must begin with `tag`.
    pub fn new(buf: &'a [u8], tag: [u8; 4]) -> io::Result<In<'a>> {
        match buf.get(..4) {
            Some(t) if t == tag => Ok(In { buf, pos: 4 }),
            got => Err(bad(format!(
                "expected a {:?} message, got one starting {got:02x?}: the stream is corrupt or out of step",
                String::from_utf8_lossy(&tag)
            ))),
        }
    }
    fn take(&mut self, n: usize) -> io::Result<&'a [u8]> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.buf.len()).ok_or_else(|| {
            bad(format!("truncated message: {n} bytes wanted at byte {}, {} there", self.pos, self.buf.len()))
        })?;
        let out = &self.buf[self.pos..end];
        self.pos = end;
        Ok(out)
    }
    pub fn u8(&mut self) -> io::Result<u8> {
        Ok(self.take(1)?[0])
    }
    pub fn u32(&mut self) -> io::Result<u32> {
        Ok(u32::from_le_bytes(self.take(4)?.try_into().expect("4 bytes")))
    }
    pub fn u64(&mut self) -> io::Result<u64> {
        Ok(u64::from_le_bytes(self.take(8)?.try_into().expect("8 bytes")))
    }
    pub fn range(&mut self) -> io::Result<Range<usize>> {
        let n = usize::try_from(self.u64()?).unwrap_or(usize::MAX);
        let start = self.pos;
        self.take(n)?;
        Ok(start..self.pos)
    }
    pub fn text(&mut self) -> io::Result<String> {
        let r = self.range()?;
        String::from_utf8(self.buf[r].to_vec()).map_err(|_| bad("a name in the message is not UTF-8"))
    }
    /// A count of items of at least `min` bytes each, checked against what is left.
    pub fn count(&mut self, min: usize) -> io::Result<usize> {
        let n = self.u32()? as usize;
        if n > (self.buf.len() - self.pos) / min.max(1) {
            return Err(bad(format!("the message claims {n} items, more than its bytes can hold")));
        }
        Ok(n)
    }
    pub fn end(&self) -> io::Result<()> {
        match self.buf.len() - self.pos {
            0 => Ok(()),
            n => Err(bad(format!("{n} stray bytes after the message"))),
        }
    }
}

/// Encode a job; `items` are `(task index, encoded argument)`.
pub(crate) fn job<'a>(h: &JobHead, items: impl Iterator<Item = (u64, &'a [u8])>, payload: usize) -> Vec<u8> {
    let mut o = Out::new(JOB, 64 + h.tramp.0.len() + h.func.0.len() + payload);
    o.u32(h.rank).u64(h.id).bytes(h.tramp.0.as_bytes()).u64(h.tramp.1).bytes(h.func.0.as_bytes()).u64(h.func.1);
    o.u8(h.gil as u8).u64(h.interval_ns);
    let count_at = o.0.len();
    o.u32(0);
    let mut n = 0u32;
    for (index, arg) in items {
        o.u64(index).bytes(arg);
        n += 1;
    }
    o.0[count_at..count_at + 4].copy_from_slice(&n.to_le_bytes());
    o.0
}

/// The rank a job message is for, read without decoding the rest.
pub(crate) fn job_rank(msg: &[u8]) -> io::Result<u32> {
    In::new(msg, JOB)?.u32()
}

pub(crate) fn read_job(buf: Vec<u8>) -> io::Result<Job> {
    let mut d = In::new(&buf, JOB)?;
    let (rank, id) = (d.u32()?, d.u64()?);
    let tramp = (d.text()?, d.u64()?);
    let func = (d.text()?, d.u64()?);
    let gil = d.u8()? != 0;
    let interval_ns = d.u64()?;
    let n = d.count(16)?;
    let mut items = Vec::with_capacity(n);
    for _ in 0..n {
        items.push((d.u64()?, d.range()?));
    }
    d.end()?;
    Ok(Job { head: JobHead { rank, id, tramp, func, gil, interval_ns }, buf, items })
}

/// Bytes of an item's fixed fields in an answer.
pub(crate) const ITEM_HEAD: usize = 8 * 5 + 1 + 8;

/// Builds a rank's answer in place: each result is encoded straight into it.
pub(crate) struct DoneWriter {
    out: Out,
    count_at: usize,
    n: u32,
}

impl DoneWriter {
    pub fn new(rank: u32, id: u64, took_ns: u64) -> DoneWriter {
        let mut out = Out::new(DONE, 64);
        out.u32(rank).u64(id).u64(took_ns).u64(0);
        let count_at = out.0.len();
        out.u32(0);
        DoneWriter { out, count_at, n: 0 }
    }

    /// Append one item: `run` appends the payload and says how it went.
    pub fn item(&mut self, index: u64, run: impl FnOnce(&mut Vec<u8>) -> (Status, [u64; 3], Option<u64>)) {
        let head = self.out.0.len();
        self.out.0.resize(head + ITEM_HEAD, 0);
        let (status, [start, end, gil_wait], cpu) = run(&mut self.out.0);
        let len = (self.out.0.len() - head - ITEM_HEAD) as u64;
        let mut f = Out(Vec::with_capacity(ITEM_HEAD));
        f.u64(index).u64(start).u64(end).u64(cpu.unwrap_or(u64::MAX)).u64(gil_wait).u8(status as u8).u64(len);
        self.out.0[head..head + ITEM_HEAD].copy_from_slice(&f.0);
        self.n += 1;
    }

    /// The message, stamped with the rank's clock at `sent_ns`.
    pub fn finish(mut self, sent_ns: u64) -> Vec<u8> {
        let at = self.count_at;
        self.out.0[at..at + 4].copy_from_slice(&self.n.to_le_bytes());
        self.out.0[at - 8..at].copy_from_slice(&sent_ns.to_le_bytes());
        self.out.0
    }
}

pub(crate) fn read_done(buf: Vec<u8>) -> io::Result<Done> {
    let mut d = In::new(&buf, DONE)?;
    let _rank = d.u32()?; // the relay knows it from MPI; kept for a reader of raw messages
    let (id, took_ns, sent_ns) = (d.u64()?, d.u64()?, d.u64()?);
    let n = d.count(ITEM_HEAD)?;
    let mut items = Vec::with_capacity(n);
    for _ in 0..n {
        let (index, start_ns, end_ns, cpu) = (d.u64()?, d.u64()?, d.u64()?, d.u64()?);
        let gil_wait_ns = d.u64()?;
        let status = Status::from_byte(d.u8()?).ok_or_else(|| bad("an item status no rank sends"))?;
        let bytes = d.range()?;
        let cpu_ns = (cpu != u64::MAX).then_some(cpu);
        items.push(Item { index, start_ns, end_ns, cpu_ns, gil_wait_ns, status, bytes });
    }
    d.end()?;
    Ok(Done { id, took_ns, sent_ns, buf, items })
}

/// Where each rank runs: `(host, pid)` by rank, rank 0 (the relay) first.
pub(crate) fn hello(ranks: &[(String, u32)]) -> Vec<u8> {
    let mut o = Out::new(HELLO, 16 * ranks.len());
    o.u32(ranks.len() as u32);
    for (host, pid) in ranks {
        o.bytes(host.as_bytes()).u32(*pid);
    }
    o.0
}

pub(crate) fn read_hello(buf: &[u8]) -> io::Result<Vec<(String, u32)>> {
    let mut d = In::new(buf, HELLO)?;
    let n = d.count(12)?;
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        out.push((d.text()?, d.u32()?));
    }
    d.end()?;
    Ok(out)
}

/// Which kind of message `buf` is.
pub(crate) fn tag(buf: &[u8]) -> Option<[u8; 4]> {
    buf.get(..4).and_then(|t| t.try_into().ok())
}

/// Write one message to a socket, length first.
pub(crate) fn send(w: &mut impl Write, msg: &[u8]) -> io::Result<()> {
    let len = u32::try_from(msg.len()).map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "over 4 GiB"))?;
    w.write_all(&len.to_le_bytes())?;
    w.write_all(msg)?;
    w.flush()
}

/// Read one message from a socket; `Ok(None)` on a clean end of stream.
pub(crate) fn recv(r: &mut impl Read) -> io::Result<Option<Vec<u8>>> {
    let mut len = [0u8; 4];
    let mut got = 0;
    while got < 4 {
        match r.read(&mut len[got..]) {
            Ok(0) if got == 0 => return Ok(None),
            Ok(0) => return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "the peer closed mid-message")),
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    let len = u32::from_le_bytes(len) as usize;
    // Grow as bytes arrive, so a garbage length costs nothing up front.
    let mut buf = Vec::with_capacity(len.min(1 << 20));
    if Read::take(&mut *r, len as u64).read_to_end(&mut buf)? < len {
        return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "the peer closed mid-message"));
    }
    Ok(Some(buf))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_and_done_round_trip() {
        let (tramp, func) = (("/x.so".to_string(), 16), (String::new(), 32));
        let head = JobHead { rank: 2, id: 7, tramp, func, gil: true, interval_ns: 5 };
        let msg = job(&head, [(3u64, &b"ab"[..]), (4, &b""[..])].into_iter(), 2);
        assert_eq!(job_rank(&msg).unwrap(), 2);
        let j = read_job(msg).unwrap();
        assert_eq!(j.head, head);
        assert_eq!(j.items.len(), 2);
        assert_eq!(j.arg(&j.items[0].1), b"ab");

        let mut w = DoneWriter::new(2, 7, 100);
        w.item(3, |out| {
            out.extend_from_slice(b"xyz");
            (Status::Ok, [1, 2, 0], Some(9))
        });
        let d = read_done(w.finish(200)).unwrap();
        assert_eq!((d.id, d.took_ns, d.sent_ns), (7, 100, 200));
        assert_eq!(d.payload(&d.items[0]), b"xyz");
        assert_eq!(d.items[0].cpu_ns, Some(9));
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(read_job(b"plJ1aaaa".to_vec()).is_err()); // a process-pool tag
        assert!(read_done(b"pmD1\x01".to_vec()).is_err());
        let mut huge = Out::new(DONE, 0);
        huge.u32(1).u64(1).u64(0).u64(0).u32(u32::MAX);
        assert!(read_done(huge.0).is_err());
        assert!(read_hello(b"pmH1").is_err());
    }
}

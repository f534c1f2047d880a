//! Garbage against the frame reader and against a real worker's command loop:
//! whatever the bytes, an error value or a clean exit, never a panic, a hang,
//! a crash, or an allocation sized by a lying length field.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::io::{BufReader, ErrorKind, Write};
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

use proptest::prelude::*;

use super::loaded::Loaded;
use super::wire::*;
use super::worker::{self, EXIT_BAD_FRAME, WorkerSpec};

const WAIT: Duration = Duration::from_secs(30);

/// Counts the largest request of a thread that asked to be watched, and
/// refuses requests over 1 GiB there, so a reader that believed a lying length
/// aborts the test at once instead of maybe succeeding through overcommit.
struct Watch;

thread_local! {
    static WATCHED: Cell<bool> = const { Cell::new(false) };
    static LARGEST: Cell<usize> = const { Cell::new(0) };
}

fn note(size: usize) -> bool {
    let watched = WATCHED.try_with(|w| w.get()).unwrap_or(false);
    if watched {
        let _ = LARGEST.try_with(|l| l.set(l.get().max(size)));
    }
    !(watched && size > 1 << 30)
}

// SAFETY: forwards to `System`; the bookkeeping allocates nothing.
unsafe impl GlobalAlloc for Watch {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        // SAFETY: forwarded as given.
        if note(l.size()) { unsafe { System.alloc(l) } } else { std::ptr::null_mut() }
    }
    unsafe fn alloc_zeroed(&self, l: Layout) -> *mut u8 {
        // SAFETY: forwarded as given.
        if note(l.size()) { unsafe { System.alloc_zeroed(l) } } else { std::ptr::null_mut() }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        // SAFETY: forwarded as given.
        if note(new) { unsafe { System.realloc(p, l, new) } } else { std::ptr::null_mut() }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        // SAFETY: forwarded as given.
        unsafe { System.dealloc(p, l) }
    }
}

#[global_allocator]
static WATCH: Watch = Watch;

/// Run `f` and return its value with the largest allocation it asked for.
fn largest_alloc<T>(f: impl FnOnce() -> T) -> (T, usize) {
    LARGEST.with(|l| l.set(0));
    WATCHED.with(|w| w.set(true));
    let out = f();
    WATCHED.with(|w| w.set(false));
    (out, LARGEST.with(|l| l.get()))
}

/// What a reader may allocate whatever a frame claims: the first reservation and a little.
const ALLOC_BOUND: usize = 2 << 20;

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig { cases, failure_persistence: None, ..ProptestConfig::default() }
}

fn job_frame(h: JobHeader, args: &[(u64, Vec<u8>)]) -> Vec<u8> {
    encode_job(&h, args.iter().map(|(i, b)| (*i, b.as_slice())), MAX_FRAME).unwrap()
}

fn header() -> impl Strategy<Value = JobHeader> {
    (any::<u64>(), any::<u64>(), any::<u64>(), any::<bool>(), any::<u64>())
        .prop_map(|(id, tramp, func, gil, interval_ns)| JobHeader { id, tramp, func, gil, interval_ns })
}

fn items() -> impl Strategy<Value = Vec<(u64, Vec<u8>)>> {
    prop::collection::vec((any::<u64>(), prop::collection::vec(any::<u8>(), 0..40)), 0..6)
}

/// Frames whose first bytes are right, so the garbage reaches the fields;
/// half of them with a length field that matches what follows.
fn tagged_garbage() -> impl Strategy<Value = Vec<u8>> {
    let parts = (any::<u8>(), any::<Option<u32>>(), prop::collection::vec(any::<u8>(), 0..200));
    parts.prop_map(|(tag, len, body)| {
        let len = len.unwrap_or(4 + body.len() as u32);
        let mut f = len.to_le_bytes().to_vec();
        f.extend_from_slice([b"plJ2", b"plD2", b"plS2"][tag as usize % 3]);
        f.extend_from_slice(&body);
        f
    })
}

fn read_both(bytes: &[u8]) {
    let (job, a) = largest_alloc(|| read_job(&mut &bytes[..]).map(|_| ()));
    let (done, b) = largest_alloc(|| read_reply(&mut &bytes[..]).map(|_| ()));
    assert!(a.max(b) <= ALLOC_BOUND, "reading {} bytes allocated {} at once", bytes.len(), a.max(b));
    for r in [job, done] {
        if let Err(e) = r {
            assert!(matches!(e.kind(), ErrorKind::InvalidData | ErrorKind::UnexpectedEof), "{e:?}");
            assert!(!e.to_string().is_empty());
        }
    }
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn random_bytes_are_an_error_or_a_frame(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        read_both(&bytes);
    }

    #[test]
    fn garbage_after_a_right_tag_is_an_error_or_a_frame(bytes in tagged_garbage()) {
        read_both(&bytes);
    }

    #[test]
    fn valid_frames_round_trip(h in header(), args in items()) {
        let frame = job_frame(h, &args);
        let back = read_job(&mut &frame[..]).unwrap().unwrap();
        prop_assert_eq!(back.header, h);
        let got: Vec<(u64, Vec<u8>)> = back.items.iter().map(|(i, r)| (*i, back.arg(r).to_vec())).collect();
        prop_assert_eq!(got, args);
    }

    #[test]
    fn a_truncated_frame_is_an_eof_error(h in header(), args in items(), cut in any::<prop::sample::Index>()) {
        let frame = job_frame(h, &args);
        let cut = 1 + cut.index(frame.len() - 1);
        let err = read_job(&mut &frame[..cut]).unwrap_err();
        prop_assert_eq!(err.kind(), ErrorKind::UnexpectedEof);
        prop_assert!(err.to_string().contains("middle of a frame"), "{}", err);
    }

    #[test]
    fn a_wrong_length_field_is_an_error(h in header(), args in items(), len in any::<u32>(), more in any::<bool>()) {
        let mut frame = job_frame(h, &args);
        let right = frame.len() as u32 - 4;
        prop_assume!(len != right);
        frame[..4].copy_from_slice(&len.to_le_bytes());
        if more {
            frame.extend(job_frame(h, &args)); // the next frame is read as part of this one
        }
        let (r, biggest) = largest_alloc(|| read_job(&mut &frame[..]).map(|_| ()));
        prop_assert!(r.is_err());
        prop_assert!(biggest <= ALLOC_BOUND, "allocated {}", biggest);
    }

    #[test]
    fn a_wrong_item_count_is_an_error(h in header(), args in items(), n in any::<u32>()) {
        let mut frame = job_frame(h, &args);
        prop_assume!(n as usize != args.len());
        // The count is postcard's varint right after the header, itself
        // right after the length prefix and the tag.
        let at = 8 + postcard::experimental::serialized_size(&h).unwrap();
        let old = postcard::experimental::serialized_size(&(args.len() as u32)).unwrap();
        frame.splice(at..at + old, postcard::to_stdvec(&n).unwrap());
        let len = frame.len() as u32 - 4;
        frame[..4].copy_from_slice(&len.to_le_bytes());
        let (r, biggest) = largest_alloc(|| read_job(&mut &frame[..]).map(|_| ()));
        prop_assert_eq!(r.unwrap_err().kind(), ErrorKind::InvalidData);
        prop_assert!(biggest <= ALLOC_BOUND, "allocated {}", biggest);
    }

    #[test]
    fn a_wrong_result_length_or_count_is_an_error(
        lens in prop::collection::vec(0..50usize, 1..5),
        k in any::<prop::sample::Index>(),
        claim in any::<u64>(),
        count in any::<Option<u32>>(),
    ) {
        // A real answer frame, then one item's length or the item count lied about.
        let timing = ItemTiming { thread: 0, start_ns: 1, end_ns: 2, cpu_ns: None, gil_wait_ns: 0 };
        let k = k.index(lens.len());
        let mut w = DoneWriter::new(1, lens.len());
        for (i, len) in lens.iter().enumerate() {
            w.item(|out| {
                out.resize(out.len() + len, 0xab);
                (Status::Ok, timing)
            });
            if i == k && count.is_none() {
                prop_assume!(claim != *len as u64);
                w.claim_last(claim);
            }
        }
        let mut bad = w.finish().unwrap();
        if let Some(n) = count {
            prop_assume!(n as usize != lens.len());
            // The count is the varint after the id (1, one byte), after the length prefix and the tag.
            let old = postcard::experimental::serialized_size(&(lens.len() as u32)).unwrap();
            bad.splice(9..9 + old, postcard::to_stdvec(&n).unwrap());
            let len = bad.len() as u32 - 4;
            bad[..4].copy_from_slice(&len.to_le_bytes());
        }
        let (r, biggest) = largest_alloc(|| read_reply(&mut &bad[..]).map(|_| ()));
        prop_assert_eq!(r.unwrap_err().kind(), ErrorKind::InvalidData);
        prop_assert!(biggest <= ALLOC_BOUND, "allocated {}", biggest);
    }
}

#[test]
fn a_length_field_of_4_gib_allocates_only_what_arrives() {
    for tag in [b"plJ2", b"plD2", b"plS2"] {
        let mut frame = u32::MAX.to_le_bytes().to_vec();
        frame.extend_from_slice(tag);
        frame.extend_from_slice(&[0xff; 64]);
        let (r, biggest) = largest_alloc(|| read_reply(&mut &frame[..]).map(|_| ()));
        assert_eq!(r.unwrap_err().kind(), ErrorKind::UnexpectedEof);
        assert!(biggest <= ALLOC_BOUND, "allocated {biggest}");
    }
}

#[test]
fn a_frame_that_arrives_in_pieces_is_read_whole_and_a_peer_closing_mid_frame_is_an_error() {
    let args: Vec<(u64, Vec<u8>)> = (0..40).map(|i| (i, vec![i as u8; 100_000])).collect();
    let h = JobHeader { id: 1, tramp: 2, func: 3, gil: false, interval_ns: 4 };
    let frame = job_frame(h, &args);
    let (mut tx, rx) = UnixStream::pair().unwrap();
    rx.set_read_timeout(Some(WAIT)).unwrap();
    let sent = frame.clone();
    let writer = std::thread::spawn(move || {
        for piece in sent.chunks(77_777) {
            tx.write_all(piece).unwrap();
        }
        tx.write_all(&sent[..sent.len() / 2]).unwrap(); // a second frame, cut off by the close
    });
    let mut r = BufReader::new(rx);
    let back = read_job(&mut r).unwrap().unwrap();
    assert_eq!(back.items.len(), 40);
    assert!(back.items.iter().all(|(i, range)| back.arg(range) == &vec![*i as u8; 100_000][..]));
    let err = read_job(&mut r).unwrap_err();
    writer.join().unwrap();
    assert_eq!(err.kind(), ErrorKind::UnexpectedEof, "{err}");
    assert!(read_job(&mut r).unwrap().is_none(), "after the error the stream is at its end");
}

/// How a worker fed `bytes` answered and ended.
struct Fed {
    replies: Vec<DoneMsg>,
    exit: i32,
}

/// Fork a real worker, send it `bytes`, close our side, and watch it end.
fn feed_worker(bytes: &[u8]) -> Fed {
    let (pid, sock) =
        worker::fork(WorkerSpec { threads: 1, interval: Duration::from_millis(5), max_frame: MAX_FRAME }).unwrap();
    sock.set_read_timeout(Some(WAIT)).unwrap();
    let _ = send_frame(&sock, bytes); // it may have gone already
    let _ = sock.shutdown(std::net::Shutdown::Write);
    let mut reader = BufReader::new(sock);
    let mut replies = Vec::new();
    let unreadable = loop {
        match read_reply(&mut reader) {
            // A worker says it has taken a job before running it; only answers count here.
            Ok(Some(Reply::Started(_))) => {}
            Ok(Some(Reply::Done(done))) => replies.push(done),
            Ok(None) => break None,
            Err(e) => break Some(e),
        }
    };
    let deadline = Instant::now() + WAIT;
    let mut status = 0;
    // SAFETY: polling and, if it hangs, killing our own child.
    while unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) } == 0 {
        if Instant::now() > deadline {
            // SAFETY: signalling our own unreaped child.
            unsafe { libc::kill(pid, libc::SIGKILL) };
            panic!("the worker hung on {} bytes", bytes.len());
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    assert!(unreadable.is_none(), "the worker sent an unreadable reply: {unreadable:?}");
    assert!(libc::WIFEXITED(status), "the worker was killed by signal {}", libc::WTERMSIG(status));
    Fed { replies, exit: libc::WEXITSTATUS(status) }
}

fn unmapped(addr: u64) -> bool {
    !Loaded::now().contains(addr as usize)
}

proptest! {
    #![proptest_config(config(16))]

    #[test]
    fn a_worker_fed_garbage_exits_cleanly(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let fed = feed_worker(&bytes);
        prop_assert!(fed.exit == 0 || fed.exit == EXIT_BAD_FRAME, "exit status {}", fed.exit);
        prop_assert!(fed.replies.is_empty());
    }

    #[test]
    fn a_worker_fed_tagged_garbage_exits_cleanly(bytes in tagged_garbage()) {
        let fed = feed_worker(&bytes);
        prop_assert!(fed.exit == 0 || fed.exit == EXIT_BAD_FRAME, "exit status {}", fed.exit);
    }

    #[test]
    fn a_worker_refuses_a_job_whose_code_is_not_mapped(h in header(), args in items()) {
        prop_assume!(unmapped(h.tramp) || unmapped(h.func));
        let fed = feed_worker(&job_frame(h, &args));
        prop_assert_eq!(fed.exit, 0);
        prop_assert_eq!(fed.replies.len(), 1);
        let done = &fed.replies[0];
        prop_assert_eq!(done.id, h.id);
        prop_assert_eq!(done.items.len(), args.len());
        for item in &done.items {
            prop_assert_eq!(item.status, Status::Refused);
            prop_assert!(String::from_utf8_lossy(done.payload(item)).contains("is not in its code"));
        }
    }
}

#[test]
fn a_worker_answers_an_undecodable_argument_with_an_error() {
    fn double(x: u64) -> u64 {
        2 * x
    }
    let tramp = super::frontend::trampoline::<u64, u64> as worker::Trampoline as usize as u64;
    let func = double as fn(u64) -> u64 as usize as u64;
    let h = JobHeader { id: 9, tramp, func, gil: true, interval_ns: 1_000_000 };
    // 0xff.. is a varint that never ends; [21] is a good argument.
    let args = vec![(0, vec![0xff; 12]), (1, vec![21])];
    let fed = feed_worker(&job_frame(h, &args));
    assert_eq!(fed.exit, 0);
    let done = &fed.replies[0];
    assert_eq!(done.items[0].status, Status::Serde);
    let msg = String::from_utf8_lossy(done.payload(&done.items[0])).into_owned();
    assert!(msg.contains("could not decode the argument as `u64`"), "{msg}");
    assert_eq!(done.items[1].status, Status::Ok);
    assert_eq!(postcard::from_bytes::<u64>(done.payload(&done.items[1])).unwrap(), 42);
}

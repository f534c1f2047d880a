//! The life of a worker process: how it starts (fork or spawn), what it
//! runs, and how it ends.
//!
//! Invariant: a worker never returns into its parent's code. It reads jobs
//! until its socket closes, then leaves with `_exit`, so a worker forked from
//! a notebook kernel can never re-enter the kernel's loop or run its atexit
//! handlers. It never reads the inherited stdin, and it holds no descriptor of
//! its parent's but stdout, stderr and its own socket. It calls no address
//! that is not mapped in it: a job naming one is answered with an error per
//! item, and a frame it cannot read ends it with [`EXIT_BAD_FRAME`].

use std::io::{BufReader, Write};
use std::os::fd::{AsRawFd, FromRawFd, RawFd};
use std::os::unix::net::UnixStream;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::clock::TaskClock;
use crate::error::{Error, Result};
use crate::executor::process::loaded::Loaded;
use crate::executor::process::wire::{self, DoneWriter, ItemTiming, JobMsg, MAX_FRAME};
use crate::gil::{Gil, ThreadGil};
use crate::runtime;
use crate::sync::lock;

/// How the pool calls a task inside a worker: decode the argument, call the
/// function, append the encoded result (or a message) to `out`, return the
/// status. Monomorphised by the submitting code.
///
/// # Safety
/// `func` must be the address of the `fn(A) -> R` the trampoline was built for.
pub(crate) type Trampoline = unsafe fn(func: usize, arg: &[u8], out: &mut Vec<u8>) -> wire::Status;

/// Environment variable that tells a re-executed program it is a worker.
pub(crate) const WORKER_ENV: &str = "PARLAB_WORKER";
const SCALE_ENV: &str = "PARLAB_SCALE";
const SEED_ENV: &str = "PARLAB_SEED";

/// Exit status of a worker that read a frame it could not make sense of:
/// the stream cannot be trusted after that, so it stops rather than guess.
pub(crate) const EXIT_BAD_FRAME: i32 = 3;

/// What a worker needs to know about itself.
#[derive(Clone, Copy, Debug)]
pub(crate) struct WorkerSpec {
    pub threads: usize,
    pub interval: Duration,
    /// Largest answer frame to send: a result that would make it bigger is
    /// replaced by a "too large" status.
    pub max_frame: usize,
}

/// Fork a worker. Returns its pid and the parent's end of its socket.
pub(crate) fn fork(spec: WorkerSpec) -> Result<(libc::pid_t, UnixStream)> {
    let (parent, child) = socket_pair()?;
    runtime::shared(); // the child must inherit the process-wide block, not make its own
    // The child's map of callable code is taken here, before the fork: listing
    // loaded objects takes the dynamic loader's lock, which another thread of
    // this process may hold at the instant of the fork, and in the child no
    // thread would ever release it (seen: workers stuck in dl_iterate_phdr
    // while tests forked pools on parallel threads). What is mapped now is
    // what the child inherits, give or take a library opened in between,
    // whose code the child then refuses rather than calls.
    let code = Loaded::now();
    // Held across the fork, so that no other thread is halfway through a
    // print at that instant (its lock would stay taken in the child, and the
    // child's first print would wait forever); flushed, or buffered text would
    // print twice.
    let mut out = std::io::stdout().lock();
    let mut err = std::io::stderr().lock();
    let _ = out.flush();
    let _ = err.flush();
    // rustix has no fork outside its experimental runtime module, so this one call stays on libc.
    // SAFETY: the child only runs `child_main`, which never returns.
    let pid = unsafe { libc::fork() };
    drop((out, err)); // in the child too: this thread is the one that took them
    match pid {
        -1 => Err(Error::last_os("fork")),
        0 => {
            let fd = child.as_raw_fd();
            std::mem::forget(parent); // closed below with every other inherited descriptor
            std::mem::forget(child);
            child_main(fd, spec, None, code)
        }
        pid => Ok((pid, parent)),
    }
}

/// The two ends of a worker's socket, neither raising SIGPIPE.
fn socket_pair() -> Result<(UnixStream, UnixStream)> {
    let (parent, child) = UnixStream::pair()?;
    wire::no_sigpipe(&parent)?;
    wire::no_sigpipe(&child)?;
    Ok((parent, child))
}

/// Re-execute this program as a worker (the `Spawn` start method).
pub(crate) fn spawn(spec: WorkerSpec) -> Result<(libc::pid_t, UnixStream)> {
    let exe = std::env::current_exe()?;
    let (parent, child) = socket_pair()?;
    let fd = child.as_raw_fd();
    let mut cmd = Command::new(exe);
    cmd.env(WORKER_ENV, format!("{fd},{},{},{}", spec.threads, spec.interval.as_nanos(), spec.max_frame))
        .env(SCALE_ENV, runtime::scale().to_string())
        .env_remove(runtime::ENV_VAR)
        .env_remove("EVCXR_IS_RUNTIME")
        .stdin(Stdio::null());
    match runtime::seed() {
        Some(seed) => cmd.env(SEED_ENV, seed.to_string()),
        None => cmd.env_remove(SEED_ENV),
    };
    // SAFETY: only async-signal-safe fcntl between fork and exec.
    unsafe {
        cmd.pre_exec(move || {
            if libc::fcntl(fd, libc::F_SETFD, 0) == -1 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let child_proc = cmd.spawn()?;
    drop(child);
    Ok((child_proc.id() as libc::pid_t, parent))
}

/// Called by `init()`: if this process was spawned as a worker, serve and exit.
pub(crate) fn serve_if_spawned() {
    let Ok(spec) = std::env::var(WORKER_ENV) else { return };
    let mut parts = spec.split(',').map(|p| p.parse::<u64>().ok());
    let (Some(Some(fd)), Some(Some(threads)), Some(Some(interval))) = (parts.next(), parts.next(), parts.next()) else {
        eprintln!("parlab: malformed {WORKER_ENV}={spec:?}; exiting");
        std::process::exit(2);
    };
    if let Some(scale) = std::env::var(SCALE_ENV).ok().and_then(|s| s.parse::<f64>().ok()) {
        runtime::set_scale(scale);
    }
    runtime::set_seed(std::env::var(SEED_ENV).ok().and_then(|s| s.parse().ok()));
    // SAFETY: single-threaded start of a fresh process.
    unsafe { libc::unsetenv(c"PARLAB_WORKER".as_ptr()) };
    let base = super::loaded::own_base();
    let max_frame = parts.next().flatten().map_or(MAX_FRAME, |m| (m as usize).min(MAX_FRAME));
    let spec = WorkerSpec { threads: threads as usize, interval: Duration::from_nanos(interval), max_frame };
    // A freshly executed program runs no other thread yet, so the lookup is safe here.
    child_main(fd as RawFd, spec, Some(base.unwrap_or(0)), Loaded::now())
}

/// Everything a worker does. `base` is the executable's base address when
/// addresses arrive as offsets (spawn), `None` when they are absolute (fork);
/// `code` is what the worker may call.
///
/// Between a fork and here the child takes no lock another thread of the
/// parent could have held at the fork (no loader lookup, no print): only
/// system calls, memory allocation (glibc's allocator is re-armed in a fork
/// child) and the environment write that claims the runtime block. The
/// locks it may need later (the loader's, stdout's) were taken care of in [`fork`].
fn child_main(fd: RawFd, spec: WorkerSpec, base: Option<usize>, code: Loaded) -> ! {
    isolate(fd);
    runtime::adopt_after_fork();
    runtime::mark_worker();
    // SAFETY: `fd` is our end of the socket, owned by nobody else now.
    let sock = unsafe { UnixStream::from_raw_fd(fd) };
    serve(sock, spec, base.unwrap_or(0), code)
}

/// Drop every inherited descriptor but stdout, stderr and the socket, and
/// point stdin at /dev/null (in a notebook, stdin carries the kernel's commands).
fn isolate(keep: RawFd) {
    // SAFETY: plain descriptor syscalls in a single-threaded child.
    unsafe {
        let null = libc::open(c"/dev/null".as_ptr(), libc::O_RDONLY);
        if null >= 0 {
            libc::dup2(null, 0);
            if null != 0 {
                libc::close(null);
            }
        }
    }
    if !close_all_but(keep) {
        // No close_range (kernels before 5.9, macOS): close what the OS lists.
        if let Ok(dir) = std::fs::read_dir(OPEN_FDS) {
            let fds: Vec<RawFd> = dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok()).collect();
            for fd in fds {
                if fd > 2 && fd != keep {
                    // SAFETY: closing a descriptor this fresh child inherited and nobody here uses.
                    unsafe { libc::close(fd) };
                }
            }
        }
    }
}

/// Where the OS lists this process's open descriptors.
#[cfg(target_os = "linux")]
const OPEN_FDS: &str = "/proc/self/fd";
#[cfg(not(target_os = "linux"))]
const OPEN_FDS: &str = "/dev/fd";

/// Close every descriptor above 2 but `keep` with `close_range`; false if the kernel lacks it.
/// (rustix offers no `close_range`, hence the raw syscall.)
#[cfg(target_os = "linux")]
fn close_all_but(keep: RawFd) -> bool {
    let high = libc::c_uint::MAX;
    // SAFETY: close_range takes plain integers and only closes descriptors.
    unsafe {
        let lo_ok = keep <= 3 || libc::syscall(libc::SYS_close_range, 3u32, (keep - 1) as u32, 0u32) == 0;
        let hi_ok = libc::syscall(libc::SYS_close_range, (keep + 1) as u32, high, 0u32) == 0;
        lo_ok && hi_ok
    }
}

/// macOS has no `close_range`: the caller closes what `/dev/fd` lists.
#[cfg(not(target_os = "linux"))]
fn close_all_but(_keep: RawFd) -> bool {
    false
}

/// Run jobs from the socket on `spec.threads` threads until the socket closes.
///
/// The threads take turns reading the socket (leader/follower), so a job goes
/// straight from the socket to the thread that runs it, with no hand-off.
/// A watchdog ends the worker if the parent dies while a task is running.
fn serve(sock: UnixStream, spec: WorkerSpec, base: usize, code: Loaded) -> ! {
    let parent = std::os::unix::process::parent_id();
    let watchdog = std::thread::Builder::new().name("parlab-watchdog".into()).spawn(move || {
        loop {
            std::thread::sleep(Duration::from_millis(100));
            if std::os::unix::process::parent_id() != parent {
                leave(0); // orphaned: the pool's process is gone
            }
        }
    });
    let (Ok(_), Ok(writer)) = (watchdog, sock.try_clone()) else { leave(1) };
    let shared = Arc::new(Worker {
        gil: Gil::new(spec.interval),
        reader: Mutex::new(BufReader::with_capacity(1 << 16, sock)),
        writer: Mutex::new(writer),
        base,
        code,
        max_frame: spec.max_frame,
    });
    for thread in 1..spec.threads {
        let shared = Arc::clone(&shared);
        let spawned = std::thread::Builder::new()
            .name(format!("parlab-worker-{thread}"))
            .spawn(move || shared.work(thread as u32));
        if spawned.is_err() {
            leave(1);
        }
    }
    shared.work(0)
}

struct Worker {
    gil: Arc<Gil>,
    reader: Mutex<BufReader<UnixStream>>,
    writer: Mutex<UnixStream>,
    base: usize,
    /// What was mapped when the worker started; task addresses must be in it.
    code: Loaded,
    max_frame: usize,
}

impl Worker {
    fn work(&self, thread: u32) -> ! {
        ThreadGil::publish_for_thread(&self.gil);
        loop {
            let job = match wire::read_job(&mut *lock(&self.reader)) {
                Ok(Some(job)) => job,
                Err(e) if e.kind() == std::io::ErrorKind::InvalidData => {
                    eprintln!("parlab: worker {} read a malformed frame from its pool: {e}", std::process::id());
                    leave(EXIT_BAD_FRAME)
                }
                // The pool closed our socket: it is shutting down (we are idle) or gone.
                _ => leave(0),
            };
            // Say so before running anything: if this process dies from now
            // on, the pool knows the task may have run; before, it knows it
            // did not, and sends the job again.
            let started = wire::started_frame(job.header.id);
            if started.and_then(|f| wire::send_frame(&*lock(&self.writer), &f)).is_err() {
                leave(0); // the pool is gone
            }
            self.gil.set_interval(Duration::from_nanos(job.header.interval_ns));
            let frame = match self.unmapped(&job) {
                None => run_job(job, thread, self.base, self.max_frame),
                Some(msg) => refuse(&job, thread, &msg),
            };
            let sent = frame.and_then(|frame| wire::send_frame(&*lock(&self.writer), &frame));
            if sent.is_err() {
                leave(0); // the pool is gone
            }
        }
    }
}

impl Worker {
    /// Why the job's code addresses cannot be called here, if they cannot.
    fn unmapped(&self, job: &JobMsg) -> Option<String> {
        let h = job.header;
        [("trampoline", h.tramp), ("task function", h.func)].into_iter().find_map(|(what, offset)| {
            let addr = usize::try_from(offset).ok().and_then(|o| self.base.checked_add(o));
            match addr {
                Some(a) if self.code.contains(a) => None,
                _ => Some(format!(
                    "worker {} refused the task: its {what} address {offset:#x} is not in its code",
                    std::process::id()
                )),
            }
        })
    }
}

/// Answer every item of a job that cannot run with `msg`.
fn refuse(job: &JobMsg, thread: u32, msg: &str) -> std::io::Result<Vec<u8>> {
    let mut done = DoneWriter::new(job.header.id, job.items.len());
    for _ in &job.items {
        done.item(|out| {
            out.extend_from_slice(msg.as_bytes());
            let timing = ItemTiming { thread, start_ns: 0, end_ns: 0, cpu_ns: None, gil_wait_ns: 0 };
            (wire::Status::Refused, timing)
        });
    }
    done.finish()
}

/// Run a job's items into one answer frame of at most `max_frame` bytes.
fn run_job(job: JobMsg, thread: u32, base: usize, max_frame: usize) -> std::io::Result<Vec<u8>> {
    let h = job.header;
    // SAFETY: the pool only sends addresses of a `Trampoline` and of the
    // matching `fn(A) -> R`, checked to be mapped in this process.
    let tramp: Trampoline = unsafe { std::mem::transmute::<usize, Trampoline>(base.wrapping_add(h.tramp as usize)) };
    let func = base.wrapping_add(h.func as usize);
    let n = job.items.len();
    let mut done = DoneWriter::new(h.id, n);
    for (i, (_, range)) in job.items.iter().enumerate() {
        let arg = job.arg(range);
        done.item(|out| {
            let mut call = || {
                // Outside the task's span, as a pool that really ran tasks one at a time would show it.
                let _turn = super::serial_turn::SerialTurn::take();
                let wait0 = crate::gil::waited_ns();
                let clock = TaskClock::start();
                // SAFETY: see above.
                let status = unsafe { tramp(func, arg, out) };
                let (start_ns, end_ns, cpu_ns) = clock.stop();
                let gil_wait_ns = crate::gil::waited_ns() - wait0;
                (status, ItemTiming { thread, start_ns, end_ns, cpu_ns, gil_wait_ns })
            };
            if h.gil {
                ThreadGil::with_current(|slot| match slot {
                    Some(slot) => slot.hold(call),
                    None => call(),
                })
            } else {
                call()
            }
        });
        // Room for the items still to come, each as a "too large" report at
        // most (the pool refused jobs whose answer of those would not fit).
        let bound = done.bound(n - i - 1);
        if bound > max_frame {
            let reached = if n == 1 { done.last_len() } else { bound };
            done.too_large_last(reached as u64, max_frame as u64, n as u64);
        }
    }
    done.finish()
}

/// End the worker process now, without unwinding into the parent's code.
fn leave(code: i32) -> ! {
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().flush();
    // SAFETY: `_exit` ends the process; nothing after it runs.
    unsafe { libc::_exit(code) }
}

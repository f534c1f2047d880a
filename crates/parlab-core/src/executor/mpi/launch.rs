//! Starting the ranks: `mpirun -n N+1 PROGRAM`, where rank 0 (the relay)
//! connects back to the caller, and stopping them all.
//!
//! Invariant: `mpirun` runs in a process group of its own, which holds every
//! process it starts on this machine; [`Launched::kill`] ends that group, so a
//! pool that fails to start, breaks or is dropped leaves nothing behind.
//! Starting is bounded by a timeout, and every way it can fail is an error
//! that says what to do.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::frame;
use super::link::Stream;
use super::serve::{Orders, RANK_ENV};
use crate::error::{Error, Result};
use crate::runtime;
use crate::sync::lock;

/// How an [`super::MpiPool`] starts its ranks; made by [`super::MpiPool::builder`].
#[derive(Debug, Clone)]
pub struct MpiPoolBuilder {
    pub(crate) ranks: usize,
    mpirun: Option<PathBuf>,
    hostfile: Option<PathBuf>,
    hosts: Vec<String>,
    args: Vec<String>,
    program: Option<PathBuf>,
    listen: Option<std::net::SocketAddr>,
    timeout: Duration,
    pub(crate) gil: bool,
}

impl MpiPoolBuilder {
    pub(crate) fn new(ranks: usize) -> Self {
        MpiPoolBuilder {
            ranks,
            mpirun: None,
            hostfile: None,
            hosts: Vec::new(),
            args: Vec::new(),
            program: None,
            listen: None,
            timeout: Duration::from_secs(30),
            gil: false,
        }
    }

    /// The `mpirun` to use (default: the one on `PATH`).
    pub fn mpirun(mut self, path: impl Into<PathBuf>) -> Self {
        self.mpirun = Some(path.into());
        self
    }

    /// An Open MPI hostfile (`NAME slots=K` lines). The relay takes one slot
    /// on the first host; the N worker ranks take the rest.
    pub fn hostfile(mut self, path: impl Into<PathBuf>) -> Self {
        self.hostfile = Some(path.into());
        self
    }

    /// Hosts as `mpirun --host` takes them (`NAME` or `NAME:SLOTS`).
    pub fn hosts<S: Into<String>>(mut self, hosts: impl IntoIterator<Item = S>) -> Self {
        self.hosts = hosts.into_iter().map(Into::into).collect();
        self
    }

    /// More arguments for `mpirun`, placed before the program (e.g. `--mca` settings).
    pub fn mpirun_args<S: Into<String>>(mut self, args: impl IntoIterator<Item = S>) -> Self {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    /// The program each rank runs. Default: this executable when the calling
    /// code is linked into it (it must call `parlab_core::init()` first in
    /// `main`), else `parlab-mpi-worker` (found through `PARLAB_MPI_WORKER`,
    /// next to this executable, or on `PATH`).
    pub fn program(mut self, path: impl Into<PathBuf>) -> Self {
        self.program = Some(path.into());
        self
    }

    /// Let the relay connect over TCP to this address (bind it to an address
    /// only the cluster's hosts reach), for when rank 0 is on another machine.
    /// Default: a Unix socket, which reaches rank 0 on this machine, in any
    /// network namespace.
    pub fn listen(mut self, addr: std::net::SocketAddr) -> Self {
        self.listen = Some(addr);
        self
    }

    /// How long the ranks may take to start and report (default 30 s).
    pub fn start_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Start every worker rank with its simulated GIL on or off.
    pub fn gil(mut self, on: bool) -> Self {
        self.gil = on;
        self
    }
}

/// Where each rank runs, as the ranks reported it.
#[derive(Debug, Clone)]
pub(crate) struct Placement {
    /// `(host, pid)` of the relay (index 0) and of each worker rank.
    pub ranks: Vec<(String, u32)>,
}

/// The processes of a pool and what `mpirun` said.
pub(crate) struct Launched {
    how: How,
    /// The last lines `mpirun` (and the ranks) wrote to stderr.
    pub said: Arc<Mutex<VecDeque<String>>>,
    /// True when the ranks run the caller's executable (tasks may live in it).
    pub runs_executable: bool,
}

enum How {
    /// `mpirun`, our child, leading a process group of its own.
    Mpirun { child: Mutex<Option<Child>>, pgid: libc::pid_t },
    /// This process is rank 0 of a job `mpirun` started (`MpiPool::world`):
    /// the relay is a thread of it, and `mpirun` owns every process.
    World { relay: Mutex<Option<std::thread::JoinHandle<i32>>> },
}

const SAID_LINES: usize = 40;

impl Launched {
    /// A pool whose relay is `relay`, a thread of this process (rank 0).
    pub fn world(relay: std::thread::JoinHandle<i32>) -> Launched {
        Launched { how: How::World { relay: Mutex::new(Some(relay)) }, said: Arc::default(), runs_executable: true }
    }

    /// `mpirun` and all it started on this machine: SIGTERM, then SIGKILL
    /// after `grace`. Within a job `mpirun` started, there is nothing of ours
    /// to end: `mpirun` ends every rank when one fails.
    pub fn kill(&self, grace: Duration) {
        let How::Mpirun { child, pgid } = &self.how else { return };
        let pgid = *pgid;
        let mut child = lock(child);
        let Some(c) = child.as_mut() else { return };
        if matches!(c.try_wait(), Ok(Some(_))) {
            // mpirun is gone; anything left in its group goes too.
            // SAFETY: signalling our own process group.
            unsafe { libc::kill(-pgid, libc::SIGKILL) };
            *child = None;
            return;
        }
        // SAFETY: signalling the process group we created for mpirun.
        unsafe { libc::kill(-pgid, libc::SIGTERM) };
        let deadline = Instant::now() + grace;
        while Instant::now() < deadline {
            if matches!(c.try_wait(), Ok(Some(_))) {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        // SAFETY: as above; whatever survived SIGTERM.
        unsafe { libc::kill(-pgid, libc::SIGKILL) };
        let _ = c.wait();
        *child = None;
    }

    /// Wait up to `limit` for `mpirun` (or the relay thread) to end by itself; true if it did.
    pub fn wait_exit(&self, limit: Duration) -> bool {
        let deadline = Instant::now() + limit;
        loop {
            let ended = match &self.how {
                How::Mpirun { child, .. } => {
                    let mut child = lock(child);
                    !matches!(child.as_mut().map(|c| c.try_wait()), Some(Ok(None)))
                }
                How::World { relay } => {
                    let mut relay = lock(relay);
                    let done = relay.as_ref().is_none_or(|t| t.is_finished());
                    if let Some(t) = relay.take_if(|t| t.is_finished()) {
                        let _ = t.join();
                    }
                    done
                }
            };
            if ended {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// What mpirun said, as one text.
    pub fn said(&self) -> String {
        let said = lock(&self.said);
        said.iter().map(String::as_str).collect::<Vec<_>>().join("\n")
    }
}

impl Drop for Launched {
    fn drop(&mut self) {
        self.kill(Duration::from_secs(2));
    }
}

/// A private directory for the Unix socket, removed on drop: as soon as the
/// relay has connected, so even a caller killed later leaves nothing in /tmp.
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

enum Listener {
    Unix(std::os::unix::net::UnixListener),
    Tcp(std::net::TcpListener),
}

impl Listener {
    fn accept(&self) -> std::io::Result<Box<dyn Stream>> {
        match self {
            Listener::Unix(l) => {
                let (s, _) = l.accept()?;
                s.set_nonblocking(false)?;
                Ok(Box::new(s))
            }
            Listener::Tcp(l) => {
                let (s, _) = l.accept()?;
                s.set_nonblocking(false)?;
                s.set_nodelay(true)?;
                Ok(Box::new(s))
            }
        }
    }
}

/// Start `mpirun` as `b` says; returns it, the relay's stream and where the ranks run.
pub(crate) fn launch(b: &MpiPoolBuilder) -> Result<(Launched, Box<dyn Stream>, Placement)> {
    let mpirun = find_mpirun(b.mpirun.as_deref())?;
    let (program, runs_executable) = program(b)?;
    let (listener, connect, socket_dir) = listen(b.listen)?;
    let token = random_token();
    let orders = Orders { connect, token, scale: runtime::scale(), seed: runtime::seed() };

    let mut cmd = Command::new(&mpirun);
    cmd.arg("-n").arg((b.ranks + 1).to_string());
    if let Some(f) = &b.hostfile {
        cmd.arg("--hostfile").arg(f);
    } else if !b.hosts.is_empty() {
        cmd.arg("--host").arg(b.hosts.join(","));
    } else {
        // One machine, like a process pool: as many ranks as asked, whatever the cores.
        cmd.arg("--oversubscribe");
    }
    // Waiting ranks must not spin on a core each, nor be pinned to one.
    cmd.args(["--bind-to", "none", "--mca", "mpi_yield_when_idle", "1", "-x", RANK_ENV]);
    cmd.args(&b.args).arg(&program);
    cmd.env(RANK_ENV, orders.encode())
        .env_remove(runtime::ENV_VAR)
        .env_remove("EVCXR_IS_RUNTIME")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    // SAFETY: getuid has no preconditions.
    if unsafe { libc::getuid() } == 0 {
        cmd.env("OMPI_ALLOW_RUN_AS_ROOT", "1").env("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1");
    }
    let mut child = cmd.spawn().map_err(|e| Error::Os(format!("could not start {}: {e}", mpirun.display())))?;
    let pgid = child.id() as libc::pid_t;
    let said = Arc::new(Mutex::new(VecDeque::new()));
    if let Some(out) = child.stdout.take() {
        pass_through(out, None);
    }
    if let Some(err) = child.stderr.take() {
        pass_through(err, Some(Arc::clone(&said)));
    }
    let launched = Launched { how: How::Mpirun { child: Mutex::new(Some(child)), pgid }, said, runs_executable };
    let accepted = accept(&listener, &launched, b, token);
    drop(listener);
    drop(socket_dir);
    match accepted {
        Ok((stream, placement)) => Ok((launched, stream, placement)),
        Err(e) => {
            launched.kill(Duration::from_millis(500));
            Err(e)
        }
    }
}

/// Wait for the relay's connection, its token and where the ranks run.
fn accept(
    listener: &Listener,
    launched: &Launched,
    b: &MpiPoolBuilder,
    token: u64,
) -> Result<(Box<dyn Stream>, Placement)> {
    let deadline = Instant::now() + b.timeout;
    let mut stream = loop {
        match listener.accept() {
            Ok(s) => break s,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) => return Err(Error::Os(format!("waiting for the MPI relay: {e}"))),
        }
        if launched.wait_exit(Duration::ZERO) {
            std::thread::sleep(Duration::from_millis(100)); // let its last words arrive
            return Err(start_error(b, &launched.said(), None));
        }
        if Instant::now() >= deadline {
            return Err(start_error(b, &launched.said(), Some(b.timeout)));
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let placement = greet(&mut stream, token, Some(b.ranks), b.timeout)?;
    Ok((stream, placement))
}

/// The relay's first words on `stream`: `token`, then where every rank runs
/// (`ranks` worker ranks, if known). Bounded by `limit`.
pub(crate) fn greet(
    stream: &mut Box<dyn Stream>,
    token: u64,
    ranks: Option<usize>,
    limit: Duration,
) -> Result<Placement> {
    stream.read_timeout(Some(limit))?;
    let mut got = [0u8; 8];
    stream.read_exact(&mut got).map_err(|e| Error::BrokenPool(format!("the MPI relay hung up at once: {e}")))?;
    if u64::from_le_bytes(got) != token {
        return Err(Error::BrokenPool("something other than this pool's relay connected to its socket".into()));
    }
    let hello = frame::recv(stream)
        .ok()
        .flatten()
        .and_then(|m| frame::read_hello(&m).ok())
        .filter(|r| r.len() >= 2 && ranks.is_none_or(|n| r.len() == n + 1))
        .ok_or_else(|| Error::BrokenPool("the MPI relay did not say where the ranks run".into()))?;
    stream.read_timeout(None)?;
    Ok(Placement { ranks: hello })
}

/// Turn mpirun's complaint (or its silence) into an error that says what to do.
fn start_error(b: &MpiPoolBuilder, said: &str, timed_out: Option<Duration>) -> Error {
    let n = b.ranks;
    let quote =
        if said.trim().is_empty() { String::from(" (mpirun said nothing)") } else { format!("; mpirun said:\n{said}") };
    if said.contains("not enough slots") {
        return Error::InvalidArgument(format!(
            "the hosts offer fewer slots than the {} processes MpiPool({n}) needs ({n} ranks and the relay): \
             raise `slots=` in the hostfile, name more hosts, or ask for fewer ranks{quote}",
            n + 1
        ));
    }
    let daemon =
        ["unable to reliably start", "ORTE does not know how to route", "Host key verification", "Could not resolve"];
    if daemon.iter().any(|d| said.contains(d)) {
        return Error::BrokenPool(format!(
            "mpirun could not start its daemon on one of the hosts: check that every host in the hostfile is \
             reachable (`ssh HOST true` works without a password, or the launcher given with plm_rsh_agent works){quote}"
        ));
    }
    match timed_out {
        Some(t) => Error::BrokenPool(format!(
            "the MPI ranks did not report within {t:?} (MpiPoolBuilder::start_timeout): a host may be unreachable \
             or the program may not start there{quote}"
        )),
        None => Error::BrokenPool(format!("mpirun ended before the ranks started{quote}")),
    }
}

fn find_mpirun(given: Option<&Path>) -> Result<PathBuf> {
    let missing = |what: String| {
        Error::Unsupported(format!(
            "{what}: install Open MPI (e.g. `apt-get install openmpi-bin libopenmpi-dev`, which scripts/setup does \
             as root) or give its path with MpiPool::builder(n).mpirun(PATH)"
        ))
    };
    if let Some(p) = given {
        return if p.is_file() { Ok(p.to_path_buf()) } else { Err(missing(format!("no mpirun at {}", p.display()))) };
    }
    on_path("mpirun").ok_or_else(|| missing("mpirun was not found on PATH".into()))
}

fn on_path(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?).map(|d| d.join(name)).find(|p| p.is_file())
}

/// The program for every rank, and whether it is this executable.
fn program(b: &MpiPoolBuilder) -> Result<(PathBuf, bool)> {
    let exe = std::env::current_exe()?;
    if let Some(p) = &b.program {
        return Ok((p.clone(), std::fs::canonicalize(p).ok() == std::fs::canonicalize(&exe).ok()));
    }
    if super::code::in_executable() && std::env::var_os("EVCXR_IS_RUNTIME").is_none() {
        if !crate::executor::process::init_called() {
            return Err(Error::NotInitialized);
        }
        return Ok((exe, true));
    }
    let worker = "parlab-mpi-worker";
    let found = std::env::var_os("PARLAB_MPI_WORKER")
        .map(PathBuf::from)
        .or_else(|| exe.parent().map(|d| d.join(worker)).filter(|p| p.is_file()))
        .or_else(|| exe.parent().and_then(Path::parent).map(|d| d.join(worker)).filter(|p| p.is_file()))
        .or_else(|| on_path(worker));
    found.map(|p| (p, false)).ok_or_else(|| {
        Error::Unsupported(format!(
            "the ranks need the `{worker}` program: build it with `cargo build --release -p parlab-core \
             --features mpi --bin {worker}` and set PARLAB_MPI_WORKER to its path (or put it on PATH)"
        ))
    })
}

fn listen(tcp: Option<std::net::SocketAddr>) -> Result<(Listener, String, Option<TempDir>)> {
    if let Some(addr) = tcp {
        let l = std::net::TcpListener::bind(addr)?;
        l.set_nonblocking(true)?;
        let at = l.local_addr()?;
        return Ok((Listener::Tcp(l), format!("tcp:{at}"), None));
    }
    let dir = std::env::temp_dir().join(format!("parlab-mpi-{}-{:x}", std::process::id(), random_token()));
    std::fs::create_dir(&dir)?;
    let dir = TempDir(dir);
    // Only this user may connect: the directory is private.
    std::fs::set_permissions(&dir.0, std::os::unix::fs::PermissionsExt::from_mode(0o700))?;
    let path = dir.0.join("relay.sock");
    let l = std::os::unix::net::UnixListener::bind(&path)?;
    l.set_nonblocking(true)?;
    Ok((Listener::Unix(l), format!("unix:{}", path.display()), Some(dir)))
}

pub(crate) fn random_token() -> u64 {
    let mut b = [0u8; 8];
    if std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut b)).is_err() {
        // Still unguessable enough to tell our relay from a stray connection.
        b = (crate::clock::now_ns() ^ (u64::from(std::process::id()) << 40)).to_le_bytes();
    }
    u64::from_le_bytes(b)
}

/// Copy a child's output line by line: to our stdout, or into `keep` (stderr).
fn pass_through(pipe: impl Read + Send + 'static, keep: Option<Arc<Mutex<VecDeque<String>>>>) {
    let _ = std::thread::Builder::new().name("parlab-mpirun-output".into()).spawn(move || {
        for line in BufReader::new(pipe).lines() {
            let Ok(line) = line else { break };
            match &keep {
                Some(said) => {
                    let mut said = lock(said);
                    if said.len() == SAID_LINES {
                        said.pop_front();
                    }
                    said.push_back(line);
                }
                None => println!("{line}"),
            }
        }
    });
}

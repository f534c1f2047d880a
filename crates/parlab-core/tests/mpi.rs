//! MpiPool against a real Open MPI: results, chunks, broadcasts, a killed
//! rank, bad input, and that nothing is left behind.
//!
//! Its own `main` (harness = false) calls `init()` first, because every rank
//! runs this very executable. Without `mpirun` it prints why it skipped.
//! With `PARLAB_MPI_HOSTFILE` set (scripts/netns-cluster run does, inside network
//! namespaces) every pool uses that hostfile, and the tests also check that
//! tasks ran on every host.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use parlab_core::prelude::*;

fn square(x: u64) -> u64 {
    x * x
}

fn pid_of_task(_: ()) -> u32 {
    std::process::id()
}

fn nap(ms: u64) -> u64 {
    std::thread::sleep(Duration::from_millis(ms));
    ms
}

fn boom(x: u32) -> u32 {
    if x == 3 {
        panic!("three is right out");
    }
    x
}

fn pick((table, i): (Broadcast<Vec<u64>>, usize)) -> u64 {
    table.get().expect("broadcast on this rank")[i]
}

fn hostfile() -> Option<PathBuf> {
    std::env::var_os("PARLAB_MPI_HOSTFILE").map(PathBuf::from)
}

fn pool(ranks: usize) -> Result<MpiPool> {
    let mut b = MpiPool::builder(ranks).start_timeout(Duration::from_secs(60));
    if let Some(f) = hostfile() {
        b = b.hostfile(f);
    }
    b.build()
}

/// True while `pid` is a live (not zombie) process on this machine.
fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat.rsplit_once(')').is_some_and(|(_, rest)| !rest.trim_start().starts_with('Z')),
        Err(_) => false,
    }
}

/// Every process of the pool is gone within `limit`.
fn all_gone(pids: &[u32], limit: Duration) -> Result<(), String> {
    let deadline = Instant::now() + limit;
    loop {
        let left: Vec<u32> = pids.iter().copied().filter(|&p| alive(p)).collect();
        if left.is_empty() {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(format!("processes still alive after {limit:?}: {left:?}"));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn pids(pool: &MpiPool) -> Vec<u32> {
    pool.processes().iter().map(|p| p.pid).collect()
}

type Test = fn() -> Result<(), String>;

fn check(cond: bool, what: impl Into<String>) -> Result<(), String> {
    if cond { Ok(()) } else { Err(what.into()) }
}

fn e<E: std::fmt::Display>(err: E) -> String {
    err.to_string()
}

fn results_equal_sequential() -> Result<(), String> {
    let p = pool(2).map_err(e)?;
    let want: Vec<bool> = (0..300u64).map(is_prime).collect();
    check(p.map(is_prime, 0..300u64).map_err(e)? == want, "map differs from sequential")?;
    let futures: Vec<_> = (0..20u64).map(|x| p.submit(square, x)).collect::<Result<_>>().map_err(e)?;
    let mut got: Vec<u64> = as_completed(futures).map(|f| f.result()).collect::<Result<_>>().map_err(e)?;
    got.sort_unstable();
    check(got == (0..20u64).map(square).collect::<Vec<_>>(), "as_completed lost or changed results")?;
    // A task's panic is its future's error; the pool goes on.
    match p.map(boom, 0..6u32) {
        Err(Error::Panicked(m)) if m.contains("three") => {}
        other => return Err(format!("a panicking task gave {other:?}")),
    }
    check(p.submit(square, 9).map_err(e)?.result().map_err(e)? == 81, "pool unusable after a panic")?;
    let ranks: Vec<u32> = p.processes()[1..].iter().map(|r| r.pid).collect();
    let ran = p.map(pid_of_task, vec![(); 8]).map_err(e)?;
    check(ran.iter().all(|pid| ranks.contains(pid)), format!("tasks ran outside the ranks: {ran:?} vs {ranks:?}"))?;
    let all = pids(&p);
    p.shutdown(true, false);
    check(matches!(p.submit(square, 1), Err(Error::Shutdown)), "submit after shutdown was not refused")?;
    all_gone(&all, Duration::from_secs(10))
}

/// `shutdown(wait, cancel_futures)` and `Future::cancel`, as concurrent.futures
/// has them: what no rank took can be cancelled, what a rank runs completes.
fn shutdown_cancels_what_no_rank_took() -> Result<(), String> {
    let p = pool(2).map_err(e)?;
    let futures: Vec<Future<u64>> = (0..8).map(|_| p.submit(nap, 300)).collect::<Result<_>>().map_err(e)?;
    check(futures[7].cancel() && futures[7].cancelled(), "a queued task could not be cancelled")?;
    std::thread::sleep(Duration::from_millis(100)); // two tasks are on the ranks by now
    check(!futures[0].cancel(), "a running task was cancelled")?;
    let all = pids(&p);
    p.shutdown(true, true);
    let ran = futures.iter().filter(|f| f.done() && !f.cancelled()).count();
    let cancelled = futures.iter().filter(|f| f.cancelled()).count();
    check(ran == 2 && cancelled == 6, format!("{ran} ran and {cancelled} were cancelled; want 2 and 6"))?;
    let waited = wait(futures, ReturnWhen::AllCompleted);
    check(waited.not_done.is_empty(), "wait() left futures not done after shutdown")?;
    match waited.done.into_iter().next().map(Future::result) {
        Some(Ok(300)) => {}
        other => return Err(format!("the first task gave {other:?}")),
    }
    all_gone(&all, Duration::from_secs(10))
}

/// Ranks that fill every slot of the cluster's hostfile (less the relay's), else 2.
fn ranks_for_every_host() -> usize {
    let slots = |l: &str| l.split("slots=").nth(1).and_then(|n| n.trim().parse::<usize>().ok()).unwrap_or(1);
    hostfile()
        .and_then(|f| std::fs::read_to_string(f).ok())
        .map(|t| t.lines().filter(|l| !l.trim().is_empty()).map(slots).sum::<usize>() - 1)
        .unwrap_or(2)
}

fn map_with_chunksize_and_records() -> Result<(), String> {
    let p = pool(ranks_for_every_host()).map_err(e)?;
    let want: Vec<u64> = (0..1000u64).map(square).collect();
    for chunk in [1, 7, 100, 1000] {
        let (got, run) = {
            p.take_run();
            let got = p.map_chunked(square, 0..1000u64, chunk).map_err(e)?;
            (got, p.take_run())
        };
        check(got == want, format!("chunksize {chunk}: results differ"))?;
        check(run.tasks.len() == 1000, format!("chunksize {chunk}: {} records", run.tasks.len()))?;
        check(run.kind == ExecutorKind::Mpi && !run.hosts.is_empty(), "the run does not name its hosts")?;
        check(run.tasks.iter().all(|t| t.ok && t.transfer >= 0.0 && t.end >= t.start), "a bad record")?;
        check(run.tasks.iter().all(|t| (t.lane.host as usize) < run.hosts.len()), "a lane's host is not in hosts")?;
    }
    check(matches!(p.map_chunked(square, 0..3u64, 0), Err(Error::ZeroChunksize)), "chunksize 0 accepted")?;
    if let Some(f) = hostfile() {
        // Every host of the hostfile ran tasks.
        let names = std::fs::read_to_string(&f).map_err(e)?;
        let hosts: Vec<&str> = names.lines().filter_map(|l| l.split_whitespace().next()).collect();
        let (_, run) = p.run(nap, vec![30u64; 4 * p.workers()]).map_err(e)?;
        for h in &hosts {
            let used = run.tasks.iter().any(|t| run.hosts.get(t.lane.host as usize).map(String::as_str) == Some(*h));
            check(used, format!("no task ran on host {h} (hosts in the run: {:?})", run.hosts))?;
        }
    }
    let all = pids(&p);
    drop(p); // dropping stops the ranks too
    all_gone(&all, Duration::from_secs(10))
}

fn broadcast_is_sent_once_and_cached() -> Result<(), String> {
    let p = pool(2).map_err(e)?;
    let table: Vec<u64> = (0..500_000u64).map(|i| i * 3).collect();
    let handle = p.broadcast(&table).map_err(e)?;
    let picks: Vec<(Broadcast<Vec<u64>>, usize)> = (0..40).map(|i| (handle.clone(), i * 12_345)).collect();
    let got = p.map(pick, picks).map_err(e)?;
    check(got == (0..40).map(|i| table[i * 12_345]).collect::<Vec<_>>(), "broadcast values differ")?;
    match handle.get() {
        Err(Error::InvalidArgument(m)) if m.contains("rank") => {}
        other => return Err(format!("get() outside a rank gave {:?}", other.map(|v| v.len()))),
    }
    p.shutdown(true, false);
    Ok(())
}

fn killed_rank_fails_its_futures() -> Result<(), String> {
    let p = pool(2).map_err(e)?;
    let all = pids(&p);
    let long = p.submit(nap, 60_000).map_err(e)?;
    let other = p.submit(nap, 60_000).map_err(e)?;
    std::thread::sleep(Duration::from_millis(300));
    // The last rank: on a cluster, on another host than the relay.
    let victim = p.processes().last().map(|r| r.pid).unwrap_or(0);
    // SAFETY: killing a rank of our own pool.
    unsafe { libc::kill(victim as i32, libc::SIGKILL) };
    let start = Instant::now();
    let r = long.result_timeout(Duration::from_secs(20));
    let took = start.elapsed();
    match &r {
        Err(Error::BrokenPool(m)) if m.contains("rank") => {}
        other => return Err(format!("the killed rank's future gave {other:?}")),
    }
    check(took < Duration::from_secs(10), format!("the failure took {took:?} to show"))?;
    check(matches!(other.result_timeout(Duration::from_secs(10)), Err(Error::BrokenPool(_))), "other future")?;
    println!("    (the error said: {})", r.err().map(|e| e.to_string()).unwrap_or_default());
    check(matches!(p.submit(square, 2), Err(Error::BrokenPool(_))), "a broken pool took new work")?;
    all_gone(&all, Duration::from_secs(10))
}

fn bad_input_is_a_clear_error() -> Result<(), String> {
    match MpiPool::builder(1).mpirun("/nonexistent/mpirun").build() {
        Err(Error::Unsupported(m)) if m.contains("install Open MPI") => {}
        other => return Err(format!("a missing mpirun gave {other:?}")),
    }
    check(matches!(MpiPool::new(0), Err(Error::ZeroWorkers)), "zero ranks accepted")?;
    let dir = std::env::temp_dir().join(format!("parlab-mpi-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(e)?;
    let small = dir.join("small");
    let here = hostfile()
        .and_then(|f| std::fs::read_to_string(f).ok())
        .and_then(|t| t.lines().next().and_then(|l| l.split_whitespace().next()).map(String::from))
        .unwrap_or_else(|| "localhost".into());
    std::fs::write(&small, format!("{here} slots=2\n")).map_err(e)?;
    let start = Instant::now();
    match MpiPool::builder(4).hostfile(&small).start_timeout(Duration::from_secs(30)).build() {
        Err(Error::InvalidArgument(m)) if m.contains("slots") => {}
        other => return Err(format!("too few slots gave {other:?}")),
    }
    let unreachable = dir.join("unreachable");
    std::fs::write(&unreachable, format!("{here} slots=2\nno-such-host.invalid slots=2\n")).map_err(e)?;
    match MpiPool::builder(3).hostfile(&unreachable).start_timeout(Duration::from_secs(20)).build() {
        Err(Error::BrokenPool(m)) if m.contains("host") => println!("    (unreachable host: {})", first_line(&m)),
        other => return Err(format!("an unreachable host gave {other:?}")),
    }
    let _ = std::fs::remove_dir_all(&dir);
    check(start.elapsed() < Duration::from_secs(60), "bad input took too long to report")
}

/// The caller is SIGKILLed (a notebook kernel restarted): its relay sees the
/// socket close and aborts the MPI job, so every rank ends.
fn caller_death_ends_every_rank() -> Result<(), String> {
    use std::io::BufRead;
    let exe = std::env::current_exe().map_err(e)?;
    let mut child =
        std::process::Command::new(exe).env(CHILD_ENV, "1").stdout(std::process::Stdio::piped()).spawn().map_err(e)?;
    let mut line = String::new();
    let out = child.stdout.take().ok_or("no stdout")?;
    std::io::BufReader::new(out).read_line(&mut line).map_err(e)?;
    let pids: Vec<u32> = line.split_whitespace().filter_map(|p| p.parse().ok()).collect();
    let _ = child.kill(); // SIGKILL: no destructor runs in the caller
    let _ = child.wait();
    check(pids.len() == 3, format!("the child said {line:?}"))?;
    all_gone(&pids, Duration::from_secs(10))
}

const CHILD_ENV: &str = "PARLAB_MPI_TEST_CHILD";

/// The child of `caller_death_ends_every_rank`: start a pool, say its pids, wait to be killed.
fn child_pool() -> ! {
    let p = pool(2).expect("child pool");
    assert_eq!(p.submit(square, 3).and_then(|f| f.result()).ok(), Some(9));
    let pids: Vec<String> = pids(&p).iter().map(u32::to_string).collect();
    println!("{}", pids.join(" "));
    std::thread::sleep(Duration::from_secs(120));
    std::process::exit(1);
}

/// A cluster made from here (the notebook's way): the pool's ranks spread over
/// its hosts, and dropping the cluster leaves no namespace. Runs as root, from
/// the machine's own namespace (not inside `scripts/netns-cluster run`).
fn namespace_cluster_from_here() -> Result<(), String> {
    check(
        matches!(NamespaceCluster::up(1), Err(Error::InvalidArgument(_))),
        "a one-host namespace cluster must be refused",
    )?;
    // SAFETY: getuid has no preconditions.
    if hostfile().is_some() || unsafe { libc::getuid() } != 0 {
        println!("  (skipped: it makes its own cluster, so it runs as root and outside one)");
        return Ok(());
    }
    let cluster = NamespaceCluster::up(3).map_err(e)?;
    let names = cluster.hosts().to_vec();
    let pool = cluster.pool(2).start_timeout(Duration::from_secs(60)).build().map_err(e)?;
    let got = pool.map_chunked(square, 0..12u64, 1).map_err(e)?;
    check(got == (0..12u64).map(square).collect::<Vec<_>>(), "results across the cluster")?;
    let run = pool.take_run();
    let used: std::collections::BTreeSet<&str> =
        run.tasks.iter().map(|t| run.hosts[t.lane.host as usize].as_str()).collect();
    let want: std::collections::BTreeSet<&str> = names[1..].iter().map(String::as_str).collect();
    check(used == want, format!("ranks 1 and 2 must run on the second and third hosts: ran on {used:?}"))?;
    pool.shutdown(true, false);
    cluster.down().map_err(e)?;
    let list = std::process::Command::new("ip").args(["netns", "list"]).output().map_err(e)?;
    let list = String::from_utf8_lossy(&list.stdout);
    check(names.iter().all(|n| !list.contains(n.as_str())), format!("namespaces left after down: {list}"))
}

const WORLD_ENV: &str = "PARLAB_MPI_TEST_WORLD";

/// Under `mpirun -n N` (from `a_program_started_by_mpirun_is_its_own_pool`):
/// rank 0 maps on ranks 1..N-1 and prints what it saw; the others serve inside `world()`.
fn world_child() -> ! {
    let pool = MpiPool::world().expect("the job's pool");
    let right = pool.map(square, 0..40u64).expect("map") == (0..40u64).map(square).collect::<Vec<_>>();
    let run = {
        pool.take_run();
        pool.map(nap, vec![20u64; 4 * pool.workers()]).expect("naps");
        pool.take_run()
    };
    let lanes: std::collections::BTreeSet<usize> = run.tasks.iter().map(|t| t.lane.worker).collect();
    let hosts: std::collections::BTreeSet<&str> =
        run.tasks.iter().map(|t| run.hosts[t.lane.host as usize].as_str()).collect();
    let pids = pids(&pool);
    pool.shutdown(true, false);
    let again = matches!(MpiPool::world(), Err(Error::Unsupported(_)));
    let hosts: Vec<&str> = hosts.into_iter().collect();
    println!(
        "world right={right} workers={} lanes={} again-refused={again} hosts={}",
        pool.workers(),
        lanes.len(),
        hosts.join(",")
    );
    println!("pids {}", pids.iter().map(u32::to_string).collect::<Vec<_>>().join(" "));
    std::process::exit(0);
}

/// `mpirun -n N PROGRAM` where PROGRAM calls `MpiPool::world()`: rank 0 gets
/// a pool of the other ranks (mpi4py's `-m mpi4py.futures`), which leave no
/// process behind once it shuts down.
fn a_program_started_by_mpirun_is_its_own_pool() -> Result<(), String> {
    match MpiPool::world() {
        Err(Error::Unsupported(m)) if m.contains("started by mpirun") => {}
        other => return Err(format!("world() outside mpirun gave {:?}", other.map(|p| p.name()))),
    }
    let hosts: Vec<String> = hostfile()
        .and_then(|f| std::fs::read_to_string(f).ok())
        .map(|t| t.lines().filter_map(|l| l.split_whitespace().next()).map(String::from).collect())
        .unwrap_or_default();
    let n = (hosts.len() + 1).max(3);
    let mut cmd = std::process::Command::new("mpirun");
    cmd.args(["-n", &n.to_string(), "--bind-to", "none"]);
    match hostfile() {
        Some(f) => cmd.arg("--hostfile").arg(f).args(["--map-by", "node"]),
        None => cmd.arg("--oversubscribe"),
    };
    let exe = std::env::current_exe().map_err(e)?;
    let out = cmd
        .arg(exe)
        .env(WORLD_ENV, "1")
        .env("OMPI_ALLOW_RUN_AS_ROOT", "1")
        .env("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(e)?;
    let said = String::from_utf8_lossy(&out.stdout);
    check(out.status.success(), format!("mpirun failed: {said}{}", String::from_utf8_lossy(&out.stderr)))?;
    let line = said.lines().find(|l| l.starts_with("world ")).ok_or(format!("rank 0 said: {said}"))?;
    let want = format!("world right=true workers={} lanes={} again-refused=true", n - 1, n - 1);
    check(line.starts_with(&want), format!("rank 0 said {line:?}, want {want:?}"))?;
    check(said.lines().filter(|l| l.starts_with("world ")).count() == 1, "only rank 0 may run past world()")?;
    if !hosts.is_empty() {
        check(line.ends_with(&format!("hosts={}", hosts.join(","))), format!("tasks must run on every host: {line}"))?;
    }
    let pids: Vec<u32> = said
        .lines()
        .find_map(|l| l.strip_prefix("pids "))
        .map(|p| p.split_whitespace().filter_map(|x| x.parse().ok()).collect())
        .unwrap_or_default();
    check(pids.len() == n, format!("rank 0 named {} processes", pids.len()))?;
    all_gone(&pids, Duration::from_secs(10))
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or("")
}

fn main() {
    parlab_core::init(); // each rank runs this executable: it serves here and never returns
    if std::env::var_os(CHILD_ENV).is_some() {
        child_pool();
    }
    if std::env::var_os(WORLD_ENV).is_some() {
        world_child();
    }
    if std::process::Command::new("mpirun").arg("--version").output().is_err() {
        println!("skipped: mpirun not found (install openmpi-bin libopenmpi-dev, or run scripts/setup as root)");
        println!("0 passed, 0 failed, 9 skipped");
        return;
    }
    // Never hang the test command: a stuck test ends the run, with its name.
    std::thread::spawn(|| {
        std::thread::sleep(Duration::from_secs(300));
        eprintln!("tests/mpi.rs: over 300 s, giving up");
        std::process::exit(3);
    });
    let tests: [(&str, Test); 9] = [
        ("results_equal_sequential", results_equal_sequential),
        ("map_with_chunksize_and_records", map_with_chunksize_and_records),
        ("broadcast_is_sent_once_and_cached", broadcast_is_sent_once_and_cached),
        ("shutdown_cancels_what_no_rank_took", shutdown_cancels_what_no_rank_took),
        ("killed_rank_fails_its_futures", killed_rank_fails_its_futures),
        ("bad_input_is_a_clear_error", bad_input_is_a_clear_error),
        ("caller_death_ends_every_rank", caller_death_ends_every_rank),
        ("namespace_cluster_from_here", namespace_cluster_from_here),
        ("a_program_started_by_mpirun_is_its_own_pool", a_program_started_by_mpirun_is_its_own_pool),
    ];
    let filter = std::env::args().nth(1).filter(|a| !a.starts_with('-'));
    let (mut passed, mut failed) = (0, 0);
    for (name, test) in tests {
        if filter.as_deref().is_some_and(|f| !name.contains(f)) {
            continue;
        }
        let start = Instant::now();
        match test() {
            Ok(()) => {
                passed += 1;
                println!("test {name} ... ok ({:.1} s)", start.elapsed().as_secs_f64());
            }
            Err(why) => {
                failed += 1;
                println!("test {name} ... FAILED: {why}");
            }
        }
    }
    // Each pool's socket directory went with it.
    let mine = format!("parlab-mpi-{}-", std::process::id());
    let left: Vec<_> = std::fs::read_dir(std::env::temp_dir())
        .map(|d| d.filter_map(|e| e.ok()).filter(|e| e.file_name().to_string_lossy().starts_with(&mine)).collect())
        .unwrap_or_default();
    if !left.is_empty() {
        failed += 1;
        println!("test nothing_left_in_tmp ... FAILED: {} socket directories left", left.len());
    }
    println!("{passed} passed, {failed} failed");
    if failed > 0 {
        std::process::exit(1);
    }
}

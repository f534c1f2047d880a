//! `parlab mpi DEMO` end to end, as a learner runs it: under a real
//! `mpirun -n N` (rank 0 runs the demo, the other ranks its tasks), and
//! outside it (`--ranks`, parlab starts `mpirun`). Every demo's records must
//! show its tasks on the worker ranks (on every host of the cluster, inside
//! `scripts/netns-cluster run`, which sets `PARLAB_MPI_HOSTFILE`), a killed
//! rank must end the whole job with MPI's own report within seconds and
//! leave no process, and bad requests must be refused in one line.
//!
//! Run by tests/mpi/run (with the `mpi` feature, Open MPI installed). Without
//! `mpirun` every test says it skipped.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use parlab_core::record::Run;

const PARLAB: &str = env!("CARGO_BIN_EXE_parlab");

/// One `mpirun` job at a time: Open MPI 4.1's daemons create their session
/// directory (`/tmp/ompi.HOST.UID`) racily, so two jobs starting together on
/// one host can fail ("mkdir … File exists"), as seen on a namespace cluster.
static ONE_JOB_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// This test's turn; a test that failed (panicked) holding it passes it on.
fn turn() -> std::sync::MutexGuard<'static, ()> {
    ONE_JOB_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner())
}
/// No test may take longer than this, whatever MPI does.
const LIMIT: Duration = Duration::from_secs(120);

fn have_mpirun() -> bool {
    let found = Command::new("mpirun").arg("--version").output().is_ok();
    if !found {
        println!("skipped: mpirun not found (install openmpi-bin libopenmpi-dev, or run scripts/setup as root)");
    }
    found
}

/// The cluster's hostfile, when the test runs inside `scripts/netns-cluster run`.
fn hostfile() -> Option<String> {
    std::env::var("PARLAB_MPI_HOSTFILE").ok()
}

/// The hosts of the cluster (one: this machine, named as MPI names it).
fn hosts() -> Vec<String> {
    match hostfile().and_then(|f| std::fs::read_to_string(f).ok()) {
        Some(text) => text.lines().filter_map(|l| l.split_whitespace().next()).map(String::from).collect(),
        None => vec![],
    }
}

/// `mpirun -n N` with what this machine needs; on a cluster, one rank per
/// host in turn, so worker ranks land on every host.
fn mpirun(processes: usize) -> Command {
    let mut c = Command::new("mpirun");
    c.args(["-n", &processes.to_string(), "--bind-to", "none", "--mca", "mpi_yield_when_idle", "1"]);
    match hostfile() {
        Some(f) => c.args(["--hostfile", &f, "--map-by", "node"]),
        None => c.arg("--oversubscribe"),
    };
    c.env("OMPI_ALLOW_RUN_AS_ROOT", "1").env("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1");
    c
}

/// Processes for a job whose worker ranks cover every host (at least 3).
fn processes() -> usize {
    (hosts().len() + 1).max(3)
}

/// Run `cmd` to its end, killed (and failed) past [`LIMIT`].
fn finish(mut cmd: Command) -> Output {
    let mut child = cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("spawn");
    let (mut out, mut err) = (child.stdout.take().expect("stdout"), child.stderr.take().expect("stderr"));
    let reader = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = out.read_to_end(&mut b);
        b
    });
    let err_reader = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = err.read_to_end(&mut b);
        b
    });
    let status = wait_within(&mut child, LIMIT).unwrap_or_else(|| panic!("{cmd:?} took over {LIMIT:?}"));
    Output { status, stdout: reader.join().unwrap_or_default(), stderr: err_reader.join().unwrap_or_default() }
}

fn wait_within(child: &mut Child, limit: Duration) -> Option<std::process::ExitStatus> {
    let deadline = Instant::now() + limit;
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return Some(status);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A demo's JSON records, from a run that must have succeeded.
fn runs_of(out: &Output, what: &str) -> Vec<Run> {
    assert!(out.status.success(), "{what}: {}\n{}", out.status, text(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{what}: stdout is not the JSON runs ({e})"))
}

/// Every run on the ranks: all tasks succeeded, on worker ranks; together
/// they used every worker rank and, on a cluster, every host.
fn ran_on_every_rank_and_host(runs: &[Run], workers: usize, what: &str) {
    let on_ranks: Vec<&Run> = runs.iter().filter(|r| !r.hosts.is_empty()).collect();
    assert!(!on_ranks.is_empty(), "{what}: no run on the ranks");
    let mut lanes = BTreeSet::new();
    let mut used = BTreeSet::new();
    for run in &on_ranks {
        assert!(run.tasks.iter().all(|t| t.ok), "{what}: {} has a failed task", run.label);
        assert_eq!(run.workers, workers, "{what}: {}", run.label);
        for t in &run.tasks {
            lanes.insert(t.lane.worker);
            used.insert(run.hosts[t.lane.host as usize].clone());
        }
    }
    assert_eq!(lanes.len(), workers, "{what}: tasks ran on worker ranks {lanes:?} of {workers}");
    let want: BTreeSet<String> = hosts().into_iter().collect();
    assert!(want.is_empty() || used == want, "{what}: tasks ran on hosts {used:?}, the cluster has {want:?}");
}

#[test]
fn every_demo_runs_under_mpirun_on_every_rank() {
    let _turn = turn();
    if !have_mpirun() {
        return;
    }
    let n = processes();
    let demos: [&[&str]; 6] = [
        &["timing", "--tasks", "6", "--scale", "0.02", "--seed", "3"],
        &["as-completed", "--tasks", "6", "--scale", "0.05"],
        &["speedup", "--scale", "0.05"],
        &["chunking", "--count", "200", "--chunksize", "20"],
        &["broadcast", "--size", "300", "--fraction", "0.01", "--pairs", "6"],
        &["messages", "--rounds", "5", "--mib", "1"],
    ];
    for demo in demos {
        let mut cmd = mpirun(n);
        cmd.arg(PARLAB).arg("mpi").args(demo).arg("--json");
        let start = Instant::now();
        let out = finish(cmd);
        let runs = runs_of(&out, demo[0]);
        ran_on_every_rank_and_host(&runs, n - 1, demo[0]);
        println!(
            "  mpirun -n {n} parlab mpi {}: {} runs, {:.1} s",
            demo.join(" "),
            runs.len(),
            start.elapsed().as_secs_f64()
        );
    }
}

#[test]
fn outside_mpirun_parlab_starts_the_ranks_itself() {
    let _turn = turn();
    if !have_mpirun() {
        return;
    }
    let mut cmd = Command::new(PARLAB);
    cmd.args(["mpi", "chunking", "--ranks", "3", "--count", "100", "--json"]);
    if let Some(f) = hostfile() {
        cmd.args(["--hostfile", &f]);
    }
    let runs = runs_of(&finish(cmd), "--ranks 3");
    let on_ranks: Vec<&Run> = runs.iter().filter(|r| !r.hosts.is_empty()).collect();
    assert_eq!(on_ranks.len(), 2, "chunksize 1 and chunksize 50 on the ranks");
    assert!(on_ranks.iter().all(|r| r.workers == 3 && r.tasks.len() == 100), "{on_ranks:?}");
}

/// True while `pid` is a live (not zombie) process.
fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| s.rsplit_once(')').is_some_and(|(_, rest)| !rest.trim_start().starts_with('Z')))
        .unwrap_or(false)
}

#[test]
fn a_killed_rank_ends_the_job_with_mpis_report_and_leaves_nothing() {
    let _turn = turn();
    if !have_mpirun() {
        return;
    }
    let n = processes();
    let mut cmd = mpirun(n);
    cmd.arg(PARLAB).args(["mpi", "as-completed", "--tasks", "40", "--scale", "1"]);
    let mut child = cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("mpirun");
    let mut err = child.stderr.take().expect("stderr");
    let said = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = err.read_to_end(&mut b);
        b
    });
    // The demo prints each rank's pid before its first task.
    let mut pids = Vec::new();
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    while pids.len() < n {
        let Some(Ok(line)) = lines.next() else { break };
        let words: Vec<&str> = line.split_whitespace().collect();
        if words.first() == Some(&"rank") {
            pids.extend(words.last().and_then(|p| p.parse::<u32>().ok()));
        }
    }
    assert_eq!(pids.len(), n, "the demo did not name its {n} ranks");
    std::thread::sleep(Duration::from_millis(500));
    let victim = pids[n - 1]; // on a cluster, a rank on another host than rank 0
    let killed = Command::new("kill").args(["-9", &victim.to_string()]).status().expect("kill");
    assert!(killed.success());
    let start = Instant::now();
    let status = wait_within(&mut child, Duration::from_secs(30)).expect("mpirun must end after a rank dies");
    let took = start.elapsed();
    let said = text(&said.join().unwrap_or_default());
    assert!(!status.success(), "mpirun must fail when a rank dies");
    assert!(took < Duration::from_secs(10), "the job took {took:?} to end");
    assert!(said.contains(&format!("rank {}", n - 1)) && said.contains("signal 9"), "mpirun said: {said}");
    let deadline = Instant::now() + Duration::from_secs(10);
    while pids.iter().any(|&p| alive(p)) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let left: Vec<u32> = pids.iter().copied().filter(|&p| alive(p)).collect();
    assert!(left.is_empty(), "ranks left after the job ended: {left:?}");
}

#[test]
fn bad_requests_are_refused_in_a_line() {
    let _turn = turn();
    if !have_mpirun() {
        return;
    }
    let mut one = mpirun(1);
    one.arg(PARLAB).args(["mpi", "timing"]);
    let out = finish(one);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("mpirun -n 1 leaves no rank for tasks"), "{}", text(&out.stderr));

    let mut both = mpirun(2);
    both.arg(PARLAB).args(["mpi", "timing", "--ranks", "3"]);
    let out = finish(both);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("drop --ranks"), "{}", text(&out.stderr));

    let out = finish({
        let mut c = Command::new(PARLAB);
        c.args(["mpi", "timing", "--hostfile", "/nonexistent/hosts"]);
        c
    });
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(text(&out.stderr).trim(), "parlab: --hostfile /nonexistent/hosts: no such file");
}

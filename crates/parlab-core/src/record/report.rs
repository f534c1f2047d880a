//! A run as text: the seed's per-task table ([`Report`]) and several runs
//! side by side ([`Comparison`]).
//!
//! Invariant: a slowdown never reads like a speedup — a run slower than the
//! baseline shows how many times slower, in a bar of its own kind.

use std::fmt;

use super::run::Run;
use crate::units::human_secs;

impl Run {
    /// The summary numbers and the per-task table.
    pub fn report(&self) -> Report<'_> {
        Report { run: self }
    }
}

/// Wall time, sum of task times, speedup and efficiency of a [`Run`];
/// prints as the seed's `display_results` table.
#[derive(Clone, Copy, Debug)]
pub struct Report<'a> {
    run: &'a Run,
}

impl Report<'_> {
    /// Seconds from the first submission to the last task's end.
    pub fn wall(&self) -> f64 {
        self.run.wall
    }

    /// Sum of task durations in seconds.
    pub fn task_time(&self) -> f64 {
        self.run.task_time()
    }

    /// Seconds of GIL waiting inside the tasks' spans.
    pub fn gil_wait(&self) -> f64 {
        self.run.gil_wait()
    }

    /// Estimated speedup: the tasks' work (spans minus GIL waits — what they
    /// would take one after another) over the wall time.
    ///
    /// Tasks that compete for cores (more CPU-bound tasks than cores) stretch
    /// without waiting for a GIL; only a sequential baseline measures that —
    /// see [`compare`].
    pub fn speedup(&self) -> f64 {
        self.run.concurrency()
    }

    /// Speedup per worker, between 0 and about 1.
    pub fn efficiency(&self) -> f64 {
        self.speedup() / self.run.workers.max(1) as f64
    }

    /// Evcxr shows a report as its text table.
    pub fn evcxr_display(&self) {
        println!("{self}");
    }
}

impl fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let run = self.run;
        let plural = |n: usize, word: &str| if n == 1 { format!("1 {word}") } else { format!("{n} {word}s") };
        writeln!(f, "{} — {} on {}", run.label, plural(run.tasks.len(), "task"), plural(run.workers, "worker"))?;
        let gil = run.tasks.iter().any(|t| t.gil_wait > 0.0);
        let moving = run.tasks.iter().any(|t| t.transfer > 0.0);
        write!(
            f,
            "{:>5}  {:<14} {:<8} {:>8} {:>8} {:>8} {:>8}",
            "task", "arg", "lane", "start s", "end s", "time s", "cpu s"
        )?;
        if moving {
            write!(f, "  {:>8}", "moving s")?;
        }
        writeln!(f, "{}", if gil { "  GIL wait s" } else { "" })?;
        for t in &run.tasks {
            let cpu = t.cpu.map_or_else(|| "-".to_string(), |c| format!("{c:.3}"));
            write!(
                f,
                "{:>5}  {:<14} {:<8} {:>8.3} {:>8.3} {:>8.3} {:>8}",
                t.index,
                shorten(&t.arg, 14),
                t.lane.label(run.kind),
                t.start,
                t.end,
                t.duration(),
                cpu
            )?;
            if moving {
                write!(f, "  {:>8.4}", t.transfer)?;
            }
            if gil {
                write!(f, "  {:>10.3}", t.gil_wait)?;
            }
            writeln!(f, "{}", if t.ok { "" } else { "  failed" })?;
        }
        writeln!(f, "sum of task times {:>9.3} s", self.task_time())?;
        if gil {
            writeln!(f, "  of which GIL wait {:>7.3} s", self.gil_wait())?;
        }
        if moving {
            let bytes: f64 = run.tasks.iter().map(|t| t.transfer).sum();
            writeln!(
                f,
                "moving bytes      {bytes:>9.3} s   (messages to and from the workers, apart from task times)"
            )?;
        }
        writeln!(f, "wall time         {:>9.3} s", self.wall())?;
        if let Some(cores) = run.cores_used() {
            writeln!(f, "CPU cores used    {cores:>9.2}   (CPU time / wall time: how many computed at once)")?;
        }
        writeln!(f, "speedup           {:>9.2}x  (task time without GIL waits / wall time)", self.speedup())?;
        write!(f, "efficiency        {:>9.0}%  (speedup / {} workers)", self.efficiency() * 100.0, run.workers)
    }
}

/// Several runs of the same tasks side by side, speedups against the first:
/// the visual guide's closing table.
#[derive(Clone, Debug)]
pub struct Comparison<'a> {
    runs: Vec<&'a Run>,
}

/// Compare runs of the same work; the first is the baseline (usually sequential).
pub fn compare<'a>(runs: impl IntoIterator<Item = &'a Run>) -> Comparison<'a> {
    Comparison { runs: runs.into_iter().collect() }
}

impl Comparison<'_> {
    /// `(label, wall seconds, speedup against the first run)` for each run.
    pub fn rows(&self) -> Vec<(String, f64, f64)> {
        let base = self.runs.first().map_or(0.0, |r| r.wall);
        self.runs.iter().map(|r| (r.label.clone(), r.wall, if r.wall > 0.0 { base / r.wall } else { 0.0 })).collect()
    }

    /// Evcxr shows a comparison as its text table.
    pub fn evcxr_display(&self) {
        println!("{self}");
    }
}

impl fmt::Display for Comparison<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{:<32} {:>9}  speedup", "approach", "time")?;
        for (label, wall, speedup) in self.rows() {
            writeln!(f, "{:<32} {:>9}  {}", shorten(&label, 32), human_secs(wall), speedup_bar(speedup))?;
        }
        Ok(())
    }
}

/// A speedup as a bar and a figure. A gain is one `█` per times faster; a
/// loss is one `░` per times *slower*, with the slowdown in words, so a run 25
/// times slower never shows the same bar as one that broke even.
fn speedup_bar(speedup: f64) -> String {
    if !(speedup.is_finite() && speedup > 0.0) {
        "n/a (no time recorded)".to_string()
    } else if speedup >= SLOWER_BELOW {
        format!("{} {speedup:.1}x", "█".repeat(speedup.round().clamp(1.0, 60.0) as usize))
    } else {
        let slower = 1.0 / speedup;
        let figure = if speedup >= 0.1 { format!("{speedup:.2}x") } else { format!("{speedup:.3}x") };
        format!("{} {figure} ({slower:.1}x slower)", "░".repeat(slower.round().clamp(1.0, 60.0) as usize))
    }
}

/// Below this a speedup is shown as a slowdown: 0.95x and up reads as "1.0x".
const SLOWER_BELOW: f64 = 0.95;

/// Shorten `s` to at most `max` characters, marking the cut with `…`.
fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
        out.push('…');
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{ExecutorKind, Lane, TaskRecord};

    fn run_of(label: &str, wall: f64) -> Run {
        Run { label: label.into(), kind: ExecutorKind::Sequential, workers: 1, wall, tasks: vec![], hosts: vec![] }
    }

    #[test]
    fn a_slowdown_shows_as_a_slowdown() {
        let (base, even, fast, slow) =
            (run_of("base", 1.0), run_of("even", 1.0), run_of("fast", 0.25), run_of("slow", 25.0));
        let text = compare([&base, &even, &fast, &slow]).to_string();
        let line = |name: &str| text.lines().find(|l| l.starts_with(name)).unwrap().to_string();
        assert!(line("even").ends_with("█ 1.0x"), "{text}");
        assert!(line("fast").ends_with("████ 4.0x"), "{text}");
        let slow = line("slow");
        assert!(slow.contains("0.040x (25.0x slower)"), "{text}");
        assert!(!slow.contains('█') && slow.contains(&"░".repeat(25)), "{text}");
    }

    #[test]
    fn a_report_shows_moving_bytes_apart_from_computing_when_there_were_any() {
        let task = |transfer: f64| TaskRecord {
            index: 0,
            arg: "0".into(),
            lane: Lane { worker: 0, thread: 0, pid: 1, host: 0 },
            start: 0.0,
            end: 0.5,
            cpu: Some(0.5),
            gil_wait: 0.0,
            ok: true,
            transfer,
        };
        let mut run = run_of("mpi", 0.6);
        run.tasks = vec![task(0.0)];
        assert!(!run.report().to_string().contains("moving"), "{}", run.report());
        run.tasks.push(TaskRecord { index: 1, ..task(0.25) });
        let text = run.report().to_string();
        assert!(text.contains("moving s") && text.contains("0.2500"), "{text}");
        let line = text.lines().find(|l| l.starts_with("moving bytes")).expect("a moving-bytes line");
        assert!(line.contains("0.250 s"), "{text}");
    }
}

//! Where a demo's output goes: tables to stdout, progress to stderr, charts
//! and traces to files, and with `--json` the records alone on stdout.
//!
//! Invariant: with `--json`, nothing but the JSON document reaches stdout —
//! every human-readable line goes through [`Ctx::say`], which is silent then —
//! and progress bars are drawn only when stderr is a terminal and `--json` is off.

use std::fmt::Display;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use parlab::chart::{self, Chart};
use parlab::record::Run;
use serde::Serialize;

use crate::error::CliError;
use crate::opts::OutputArgs;

/// One demo's view of the terminal and the output flags.
pub struct Ctx {
    demo: &'static str,
    out: OutputArgs,
    progress: bool,
}

impl Ctx {
    /// Check the output flags (chart extension, directories) before any work runs.
    pub fn new(demo: &'static str, out: OutputArgs) -> Result<Ctx, CliError> {
        if let Some(path) = &out.chart {
            if chart_format(path).is_none() {
                return Err(CliError::impossible(format!(
                    "--chart {} must end in .png or .svg (the format is chosen by the extension)",
                    path.display()
                )));
            }
            parent_exists("--chart", path)?;
        }
        if let Some(path) = &out.trace {
            parent_exists("--trace", path)?;
            if path.is_dir() {
                return Err(CliError::impossible(format!(
                    "--trace {} is a directory; give a file name such as run.json",
                    path.display()
                )));
            }
        }
        if let Some(dir) = &out.out_dir {
            std::fs::create_dir_all(dir)
                .map_err(|e| CliError::impossible(format!("cannot create --out-dir {}: {e}", dir.display())))?;
        }
        let progress = !out.json && std::io::stderr().is_terminal();
        Ok(Ctx { demo, out, progress })
    }

    /// Print a line of the human-readable report (nothing with `--json`).
    pub fn say(&self, text: impl Display) {
        if !self.out.json {
            println!("{text}");
        }
    }

    /// [`Ctx::say`] without disturbing a progress bar that is being drawn.
    pub fn say_over(&self, bar: &ProgressBar, text: impl Display) {
        bar.suspend(|| self.say(text));
    }

    /// True if `--chart` or `--out-dir` asked for charts.
    pub fn wants_charts(&self) -> bool {
        self.out.chart.is_some() || self.out.out_dir.is_some()
    }

    /// Run `work` under a spinner labelled `label` (on stderr, if shown at all).
    pub fn step<T>(&self, label: &str, work: impl FnOnce() -> Result<T, CliError>) -> Result<T, CliError> {
        let _spinner = self.spinner(label);
        work()
    }

    /// A spinner labelled `label` (on stderr, if shown at all), cleared when dropped.
    pub fn spinner(&self, label: &str) -> Spinner {
        if !self.progress {
            return Spinner(ProgressBar::hidden());
        }
        let s = ProgressBar::new_spinner().with_style(style("{spinner:.cyan} {msg} {elapsed:.dim}"));
        s.set_message(label.to_string());
        s.enable_steady_tick(Duration::from_millis(100));
        Spinner(s)
    }

    /// A bar of `len` steps; the caller ticks it with `inc(1)` and finishes it.
    pub fn bar(&self, len: u64, label: &str) -> ProgressBar {
        if !self.progress {
            return ProgressBar::hidden();
        }
        let bar = ProgressBar::new(len).with_style(style("{msg} [{bar:30.cyan/blue}] {pos}/{len} {elapsed:.dim}"));
        bar.set_message(label.to_string());
        bar.enable_steady_tick(Duration::from_millis(100));
        bar
    }

    /// End the demo: print `json` (with `--json`) or the per-task tables (with
    /// `--verbose`), write `runs` as one trace (with `--trace`), then draw and
    /// write the charts if any were asked for. `runs` must be every run the demo made.
    pub fn finish<J: Serialize + ?Sized>(
        &self,
        json: &J,
        runs: &[&Run],
        charts: impl FnOnce() -> parlab::Result<Vec<(&'static str, Chart)>>,
    ) -> Result<(), CliError> {
        if self.out.json {
            println!("{}", serde_json::to_string_pretty(json)?);
        } else if self.out.verbose {
            for run in runs {
                println!("\n{}", run.report());
            }
        }
        if let Some(path) = &self.out.trace {
            parlab::trace::save_traces(runs, path)?;
            self.say(format!(
                "\ntrace of {} written to {} (open it at https://ui.perfetto.dev or chrome://tracing)",
                if runs.len() == 1 { "1 run".to_string() } else { format!("{} runs", runs.len()) },
                path.display()
            ));
        }
        if !self.wants_charts() {
            return Ok(());
        }
        let charts = self.step("drawing charts", || charts().map_err(CliError::from))?;
        if charts.is_empty() {
            return Ok(());
        }
        if let Some(path) = &self.out.chart {
            let figure =
                if charts.len() == 1 { charts[0].1.clone() } else { chart::stack(charts.iter().map(|c| &c.1))? };
            save(&figure, path)?;
            self.say(format!("\nchart written to {}", path.display()));
        }
        if let Some(dir) = &self.out.out_dir {
            for (name, c) in &charts {
                for ext in ["png", "svg"] {
                    save(c, &dir.join(format!("{}-{name}.{ext}", self.demo)))?;
                }
            }
            self.say(format!("\n{} charts written to {} (PNG and SVG)", charts.len(), dir.display()));
        }
        Ok(())
    }
}

/// A spinner that clears itself from the terminal when dropped, however its step ended.
pub struct Spinner(ProgressBar);

impl Drop for Spinner {
    fn drop(&mut self) {
        self.0.finish_and_clear();
    }
}

/// Refuse, before anything runs, a file whose directory does not exist.
fn parent_exists(flag: &str, path: &Path) -> Result<(), CliError> {
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    if parent.is_dir() {
        Ok(())
    } else {
        Err(CliError::impossible(format!(
            "{flag} {}: the directory {} does not exist",
            path.display(),
            parent.display()
        )))
    }
}

fn save(c: &Chart, path: &PathBuf) -> Result<(), CliError> {
    c.save(path).map_err(|e| CliError::Failed(format!("could not save {}: {e}", path.display())))
}

fn chart_format(path: &Path) -> Option<&'static str> {
    match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
        "png" => Some("png"),
        "svg" => Some("svg"),
        _ => None,
    }
}

fn style(template: &str) -> ProgressStyle {
    ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_bar())
}

pub use parlab::units::{human_bytes as bytes, human_secs as secs};

/// The table the seed's `display_results` prints, one row per run: the sum of
/// the tasks' own times against the wall time the batch took.
pub fn task_time_table(runs: &[&Run]) -> String {
    let mut out =
        format!("  {:<36} {:>5} {:>18} {:>10} {:>11}", "approach", "tasks", "sum of task times", "wall", "sum / wall");
    for r in runs {
        let ratio = if r.wall > 0.0 { r.task_time() / r.wall } else { 0.0 };
        out.push_str(&format!(
            "\n  {:<36} {:>5} {:>18} {:>10} {:>10.1}x",
            r.label,
            r.tasks.len(),
            secs(r.task_time()),
            secs(r.wall),
            ratio
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(secs(1.234), "1.23 s");
        assert_eq!(secs(0.0123), "12.3 ms");
        assert_eq!(bytes(512), "512 B");
        assert_eq!(bytes(16 << 20), "16.0 MiB");
        assert_eq!(bytes(u128::MAX), "3.4e38 bytes");
        assert_eq!(chart_format(Path::new("a/B.PNG")), Some("png"));
        assert_eq!(chart_format(Path::new("a.jpg")), None);
    }
}

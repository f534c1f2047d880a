//! How much CPU a few busy threads actually get at this moment.
//!
//! Invariant: [`Offer`] is a measurement, never a guess. It is the CPU time
//! that `threads` spinning threads were given, divided by the wall time they
//! spun for, read from the operating system's per-thread CPU clocks. On a quiet
//! 2-core machine two threads get about 2 cores; with another program keeping
//! one core busy they get about 1.3. A speedup is judged against that figure
//! (see [`crate::check`]), so a busy laptop explains a low speedup instead of
//! failing it.

use std::fmt;
use std::sync::{Arc, Barrier};
use std::time::Duration;

use super::cpus::{Cpus, cpus};
use crate::clock;

use crate::error::{Error, Result};

/// How long [`offer`] spins its threads: long enough for the scheduler to
/// share the CPUs out fairly (its time slices are a few milliseconds), short
/// enough to run before every measured cell.
pub const OFFER_SPIN: Duration = Duration::from_millis(250);

/// What `threads` busy threads were given by the machine during one short spin.
#[derive(Clone, Debug, PartialEq)]
pub struct Offer {
    /// How many threads spun at once.
    pub threads: usize,
    /// Seconds they spun for (wall time, first start to last end).
    pub wall: f64,
    /// CPU seconds each thread was given.
    pub cpu: Vec<f64>,
    /// The CPUs the process may use.
    pub cpus: Cpus,
}

impl Offer {
    /// Cores the threads got between them: their CPU time over the wall time.
    /// At most `min(threads, CPUs)`; less when other programs are busy.
    pub fn cores(&self) -> f64 {
        if self.wall > 0.0 { self.cpu.iter().sum::<f64>() / self.wall } else { 0.0 }
    }

    /// The best speedup CPU-bound work on `threads` workers can show right now
    /// against one worker on a machine that gives one thread a whole core.
    pub fn ceiling(&self) -> f64 {
        self.cores().min(self.threads as f64)
    }

    /// Evcxr shows an offer as its sentence.
    pub fn evcxr_display(&self) {
        println!("{self}");
    }
}

impl fmt::Display for Offer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.threads;
        writeln!(f, "{}.", self.cpus)?;
        write!(
            f,
            "Right now {n} busy thread{} got {:.2} cores between them over {:.2} s ({:.0}% of a core each)",
            if n == 1 { "" } else { "s" },
            self.cores(),
            self.wall,
            100.0 * self.cores() / n as f64,
        )?;
        let taken = (n.min(self.cpus.available) as f64 - self.cores()).max(0.0);
        if taken > 0.25 {
            write!(f, ": other programs were using about {taken:.1} of the cores these threads could have had")?;
        }
        Ok(())
    }
}

/// Spin `threads` threads for [`OFFER_SPIN`] and measure the cores they get.
///
/// Call it right before a measurement, with as many threads as the pool has
/// workers computing at once, and judge the pool's speedup against
/// [`Offer::cores`].
///
/// ```
/// let offer = parlab_core::machine::offer(2)?;
/// assert!(offer.cores() > 0.0 && offer.cores() <= 2.2);
/// # Ok::<(), parlab_core::Error>(())
/// ```
pub fn offer(threads: usize) -> Result<Offer> {
    offer_for(threads, OFFER_SPIN)
}

/// [`offer`] with a spin of your choosing (at least 10 ms, at most 10 s).
pub fn offer_for(threads: usize, spin: Duration) -> Result<Offer> {
    if threads == 0 {
        return Err(Error::ZeroWorkers);
    }
    if !(Duration::from_millis(10)..=Duration::from_secs(10)).contains(&spin) {
        return Err(Error::InvalidArgument(format!("spin must be between 10 ms and 10 s, got {spin:?}")));
    }
    let start = Arc::new(Barrier::new(threads + 1));
    let spin_ns = spin.as_nanos() as u64;
    let handles = (0..threads)
        .map(|i| {
            let start = Arc::clone(&start);
            std::thread::Builder::new()
                .name(format!("parlab-offer-{i}"))
                .spawn(move || {
                    start.wait();
                    spin_thread(spin_ns)
                })
                .map_err(|e| Error::Os(format!("could not start a measuring thread: {e}")))
        })
        .collect::<Result<Vec<_>>>();
    // Release whatever threads did start, even if one failed to.
    start.wait();
    let mut spans = Vec::with_capacity(threads);
    for h in handles? {
        spans.push(h.join().map_err(|_| Error::Os("a measuring thread panicked".into()))??);
    }
    let first = spans.iter().map(|s| s.0).min().unwrap_or(0);
    let last = spans.iter().map(|s| s.1).max().unwrap_or(0);
    Ok(Offer {
        threads,
        wall: clock::secs_between(first, last),
        cpu: spans.iter().map(|s| s.2 as f64 / 1e9).collect(),
        cpus: cpus(),
    })
}

/// Spin until `spin_ns` of wall time has passed; `(start, end, cpu ns)`.
fn spin_thread(spin_ns: u64) -> Result<(u64, u64, u64)> {
    let unsupported = || Error::Unsupported("this system reports no per-thread CPU time".into());
    let cpu0 = clock::thread_cpu_ns().ok_or_else(unsupported)?;
    let start = clock::now_ns();
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut now = start;
    while now - start < spin_ns {
        for _ in 0..1_000 {
            x = std::hint::black_box(x.rotate_left(7) ^ x.wrapping_mul(31));
        }
        now = clock::now_ns();
    }
    let cpu = clock::thread_cpu_ns().ok_or_else(unsupported)? - cpu0;
    Ok((start, now, cpu))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_input_is_an_error() {
        assert_eq!(offer(0).unwrap_err(), Error::ZeroWorkers);
        assert!(matches!(offer_for(1, Duration::from_millis(1)), Err(Error::InvalidArgument(_))));
    }

    #[test]
    fn one_thread_gets_at_most_one_core() {
        let o = offer_for(1, Duration::from_millis(50)).unwrap();
        assert!(o.cores() > 0.0 && o.cores() <= 1.05, "{o}");
        assert!(o.wall >= 0.05, "{o}");
    }
}

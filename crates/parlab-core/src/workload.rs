//! The seed's workloads: sleeps that stand for waiting, loops that burn CPU.
//!
//! Invariant: every sleep, and every default CPU size, is multiplied by the
//! process-wide time scale ([`set_scale`]), so a notebook or a test can shrink a
//! demo without changing its shape. Sleeps release the simulated GIL; CPU loops
//! call [`gil::tick`] often enough to switch every interval. Explicit sizes you
//! pass in (`sum_square(n)`, `is_prime(n)`, `long_factorize_from`) are not scaled.

use std::hash::{Hash, Hasher};
use std::time::Duration;

use rand::SeedableRng;
use rand_distr::{Distribution, Normal};

use crate::error::{Error, Result};
use crate::{clock, gil, runtime};

/// How often CPU loops offer the GIL (every this many iterations).
const TICK_EVERY: u64 = 1 << 12;

/// Multiply every sleep and default CPU size by `scale` (1.0 = the seed's real
/// sizes). Process-wide: worker processes started afterwards inherit it.
///
/// ```
/// parlab_core::workload::set_scale(0.1).unwrap();
/// assert_eq!(parlab_core::workload::scale(), 0.1);
/// assert!(parlab_core::workload::set_scale(0.0).is_err());
/// # parlab_core::workload::set_scale(1.0).unwrap();
/// ```
pub fn set_scale(scale: f64) -> Result<()> {
    if !(scale.is_finite() && scale > 0.0 && scale <= 1000.0) {
        return Err(Error::InvalidArgument(format!("time scale must be in (0, 1000], got {scale}")));
    }
    runtime::set_scale(scale);
    Ok(())
}

/// The current time scale.
pub fn scale() -> f64 {
    runtime::scale()
}

/// `seconds` of the seed's time, scaled.
pub fn scaled(seconds: f64) -> Duration {
    Duration::from_secs_f64((seconds * scale()).max(0.0))
}

/// Make drawn sleep times reproducible (`Some(seed)`) or random (`None`, the default).
pub fn set_seed(seed: Option<u64>) {
    runtime::set_seed(seed);
}

/// The seed's `delayed_return(value)`: sleep a time drawn from a Gaussian with
/// mean 1 s and standard deviation 0.25 s (scaled, never negative), then return
/// `value`. Stands for waiting work: a network call, a disk read.
///
/// With a seed set, the time depends only on the seed and `value`.
pub fn delayed_return<T: Hash>(value: T) -> T {
    let seconds = draw_seconds(&value, 1.0, 0.25);
    gil::sleep(scaled(seconds));
    value
}

/// `delayed_return(value, seconds=...)`: sleep exactly `seconds` (scaled), return `value`.
pub fn delayed_return_for<T>((value, seconds): (T, f64)) -> T {
    gil::sleep(scaled(seconds));
    value
}

/// The sleep `delayed_return(value)` would draw, in unscaled seconds.
pub fn draw_seconds<T: Hash + ?Sized>(value: &T, mean: f64, sigma: f64) -> f64 {
    let normal = Normal::new(mean, sigma.abs()).unwrap_or_else(|_| Normal::new(mean, 0.0).expect("sigma 0 is valid"));
    let secs = match runtime::seed() {
        Some(seed) => {
            let mut h = std::collections::hash_map::DefaultHasher::new();
            seed.hash(&mut h);
            value.hash(&mut h);
            normal.sample(&mut rand::rngs::StdRng::seed_from_u64(h.finish()))
        }
        None => normal.sample(&mut rand::rng()),
    };
    secs.max(0.0)
}

/// The seed's default base for [`long_factorize`].
pub const FACTORIZE_BASE: u64 = 100_000_001;

/// The seed's `long_factorize(offset)`: find the greatest proper factor of
/// `base + offset` by counting down from half of it — deliberately slow,
/// CPU-bound work. Returns `(value, factor, value / factor)`; a prime gives
/// `(value, 1, value)`. `base` is [`FACTORIZE_BASE`] × the time scale, made odd.
///
/// ```
/// use parlab_core::workload::long_factorize_from;
/// assert_eq!(long_factorize_from((1, 100)), (101, 1, 101)); // prime
/// assert_eq!(long_factorize_from((5, 100)), (105, 35, 3));
/// ```
pub fn long_factorize(offset: u64) -> (u64, u64, u64) {
    // Odd, like the seed's base, so even offsets stay odd-valued and slow at every scale.
    let base = ((FACTORIZE_BASE as f64) * scale()).round().max(3.0) as u64 | 1;
    long_factorize_from((offset, base))
}

/// [`long_factorize`] with an explicit `(offset, base)`, not scaled.
pub fn long_factorize_from((offset, base): (u64, u64)) -> (u64, u64, u64) {
    let value = base.saturating_add(offset);
    let mut factor = value / 2;
    while factor > 1 {
        if value % factor == 0 {
            break;
        }
        factor -= 1;
        if factor % TICK_EVERY == 0 {
            gil::tick();
        }
    }
    let factor = factor.max(1);
    (value, factor, value / factor)
}

/// The tutorial's `sum_square(n)`: sum of `i * i` for `i` below `n`.
///
/// ```
/// assert_eq!(parlab_core::workload::sum_square(4), 0 + 1 + 4 + 9);
/// ```
pub fn sum_square(n: u64) -> u128 {
    let mut total: u128 = 0;
    for i in 0..n {
        // black_box keeps the compiler from replacing the loop by a formula.
        let i = std::hint::black_box(i) as u128;
        total += i * i;
        if i as u64 % TICK_EVERY == 0 {
            gil::tick();
        }
    }
    total
}

/// The processes notebook's `cpu_task(n)`: sum of squares below 10 million
/// (scaled). `n` only labels the task, as in the seed.
pub fn cpu_task(_n: u64) -> u128 {
    sum_square((10_000_000.0 * scale()).round() as u64)
}

/// The chunking lesson's `is_prime(n)` by trial division.
///
/// ```
/// use parlab_core::workload::is_prime;
/// assert!(is_prime(1_000_003));
/// assert!(!is_prime(1_000_001));
/// assert!(!is_prime(1));
/// ```
pub fn is_prime(n: u64) -> bool {
    if n < 2 {
        return false;
    }
    let mut i = 2u64;
    while i.saturating_mul(i) <= n {
        if n % i == 0 {
            return false;
        }
        i += 1;
    }
    true
}

/// The tutorial's `foo()`: print, then sleep 1 s (scaled).
pub fn foo(_: ()) {
    println!("Running...");
    gil::sleep(scaled(1.0));
}

/// The tutorial's `boo(sec)`: print, then sleep `sec` seconds (scaled).
pub fn boo(seconds: f64) {
    println!("Running for {seconds} second(s)");
    gil::sleep(scaled(seconds));
}

/// Busy CPU work for `seconds` of this thread's CPU time (scaled): a
/// machine-independent stand-in for "a task that computes for 2 s". Time spent
/// waiting for the GIL does not count, exactly as it would not in CPython.
/// Returns the number of loop iterations done.
pub fn burn_cpu(seconds: f64) -> u64 {
    let budget = (seconds * scale() * 1e9).max(0.0) as u64;
    let Some(start) = clock::thread_cpu_ns() else {
        return spin_for_wall(budget);
    };
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut iterations = 0u64;
    loop {
        for _ in 0..TICK_EVERY {
            x = std::hint::black_box(x.rotate_left(7) ^ x.wrapping_mul(31));
        }
        iterations += TICK_EVERY;
        gil::tick();
        if clock::thread_cpu_ns().unwrap_or(u64::MAX).saturating_sub(start) >= budget {
            return iterations;
        }
    }
}

fn spin_for_wall(budget_ns: u64) -> u64 {
    let start = clock::now_ns();
    let mut iterations = 0;
    while clock::now_ns() - start < budget_ns {
        iterations += 1;
        gil::tick();
    }
    iterations
}

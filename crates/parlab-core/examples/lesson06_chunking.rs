//! Lesson 6: is_prime over 500 numbers, one per message or 50 per message.
//!
//! ```text
//! cargo run --release -p parlab-core --example lesson06_chunking
//! ```

use parlab_core::prelude::*;
use parlab_core::record::timed;

fn main() -> parlab_core::Result<()> {
    parlab_core::init();
    let pool = ProcessPool::new(2)?;
    pool.map(is_prime, [2])?; // start the workers before timing

    for (what, numbers) in [
        ("numbers near a million", 1_000_000..1_000_500u64),
        ("numbers near a million million", 1_000_000_000_000..1_000_000_000_500u64),
    ] {
        println!("is_prime over 500 {what}:");
        let (primes, secs) = timed(|| numbers.clone().filter(|&n| is_prime(n)).count());
        println!("  sequential              {:>8.2} ms  ({primes} primes)", secs * 1e3);
        for chunksize in [1, 50] {
            let (found, secs) = timed(|| pool.map_chunked(is_prime, numbers.clone(), chunksize));
            let found = found?.into_iter().filter(|&p| p).count();
            println!("  2 processes, chunks of {chunksize:<2}{:>8.2} ms  ({found} primes)", secs * 1e3);
        }
    }

    // Exercise 1: other chunk sizes on the big numbers.
    let numbers = 1_000_000_000_000..1_000_000_000_500u64;
    for chunksize in [10, 250, 500] {
        let (_, secs) = timed(|| pool.map_chunked(is_prime, numbers.clone(), chunksize));
        println!("chunks of {chunksize}: {:.2} ms", secs * 1e3);
    }
    Ok(())
}

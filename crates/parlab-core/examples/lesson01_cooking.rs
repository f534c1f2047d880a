//! Lesson 1's kitchen: lunch for 10 friends, cooked four ways.
//!
//! ```text
//! cargo run --release -p parlab-core --example lesson01_cooking
//! ```
//!
//! A minute of cooking is a millisecond of sleep (`workload::set_scale(0.001)`).
//! The cook's hands are the GIL: hands-on steps keep it, boiling gives it up.

use parlab_core::prelude::*;

/// The cook's hands are busy: a plain sleep keeps the GIL.
fn hands_on(minutes: f64) {
    std::thread::sleep(workload::scaled(minutes));
}

/// The pot boils by itself: a GIL-aware sleep lets the cook go.
fn boil(minutes: f64) {
    gil::sleep(workload::scaled(minutes));
}

/// One friend's lunch: wash 5, cut 13, boil 30, serve 2.
fn lunch(friend: u32) -> u32 {
    hands_on(5.0); // wash
    hands_on(13.0); // cut
    boil(30.0); // boil
    hands_on(2.0); // serve
    friend
}

fn main() -> parlab_core::Result<()> {
    parlab_core::init();
    workload::set_scale(0.001)?; // a minute of cooking is a millisecond

    let (_, alone) = Sequential::new().run(lunch, 1..=10)?;
    println!("one cook, one lunch at a time: {:.0} minutes", alone.wall * 1000.0);
    let (_, juggling) = ThreadPool::new(10)?.gil(true).run(lunch, 1..=10)?;
    let (_, two_cooks) = ProcessPool::new(2)?.gil(true).run(lunch, 1..=10)?;
    let (_, five_cooks) = ProcessPool::new(5)?.gil(true).run(lunch, 1..=10)?;
    let (_, two_juggling) = HybridPool::new(2, 5)?.gil(true).run(lunch, 1..=10)?;

    println!();
    for (what, run) in [
        ("one cook, one lunch at a time", &alone),
        ("one cook, boiling while cutting", &juggling),
        ("two cooks, one lunch each at a time", &two_cooks),
        ("five cooks, one lunch each at a time", &five_cooks),
        ("two cooks, each boiling while cutting", &two_juggling),
    ] {
        println!("{what:<40} {:>4.0} minutes", run.wall * 1000.0);
    }
    Ok(())
}

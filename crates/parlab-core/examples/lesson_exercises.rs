//! The figures quoted in the lessons' exercise answers.
//!
//! ```text
//! cargo run --release -p parlab-core --example lesson_exercises
//! ```

use std::time::{Duration, Instant};

use parlab_core::prelude::*;

fn hands_on(minutes: f64) {
    std::thread::sleep(workload::scaled(minutes));
}
fn boil(minutes: f64) {
    gil::sleep(workload::scaled(minutes));
}
fn lunch(friend: u32) -> u32 {
    hands_on(5.0);
    hands_on(13.0);
    boil(30.0);
    hands_on(2.0);
    friend
}
fn no_boil(friend: u32) -> u32 {
    hands_on(5.0);
    hands_on(13.0);
    hands_on(2.0);
    friend
}
fn mixed(id: u32) -> u32 {
    burn_cpu(1.0); // computes: holds the GIL
    gil::sleep(workload::scaled(4.0)); // waits: lets it go
    id
}

fn main() -> parlab_core::Result<()> {
    parlab_core::init();

    println!("lesson 1");
    workload::set_scale(0.001)?;
    let (_, ten_cooks) = ProcessPool::new(10)?.gil(true).run(lunch, 1..=10)?;
    println!("  1. ten cooks: {:.0} minutes", ten_cooks.wall * 1000.0);
    let (_, juggling) = ThreadPool::new(10)?.gil(true).run(no_boil, 1..=10)?;
    println!("  2. no boiling, one juggling cook: {:.0} minutes", juggling.wall * 1000.0);

    println!("lesson 2");
    workload::set_scale(0.05)?;
    let pool = ThreadPool::new(4)?.gil(true);
    let (_, run) = pool.run(burn_cpu, vec![1.0; 4])?;
    println!("  1. 5 ms interval: {:.2} s, {} hand-overs", run.wall, pool.gil_switches());
    let pool = ThreadPool::new(4)?.gil(true).switch_interval(Duration::from_millis(50));
    let (_, run) = pool.run(burn_cpu, vec![1.0; 4])?;
    println!("  1. 50 ms interval: {:.2} s, {} hand-overs", run.wall, pool.gil_switches());
    let (_, run) = ThreadPool::new(4)?.gil(true).run(boo, vec![1.0; 4])?;
    println!("  2. boo on 4 threads, GIL on: {:.3} s", run.wall);

    println!("lesson 3");
    workload::set_scale(0.01)?;
    let tasks: Vec<(u32, f64)> = (0..100).map(|i| (i, 2.0)).collect();
    let (_, run) = ThreadPool::new(100)?.gil(true).run(delayed_return_for, tasks)?;
    println!("  1. 100 waits on 100 threads: {:.3} s", run.wall);
    let (_, seq) = Sequential::new().run(mixed, 0..20)?;
    let (_, threads) = ThreadPool::new(20)?.gil(true).run(mixed, 0..20)?;
    println!("  2. mixed on 20 threads: speedup {:.1}x", seq.wall / threads.wall);

    println!("lesson 4");
    workload::set_scale(0.1)?;
    let pool = ProcessPool::new(2)?;
    let start = Instant::now();
    pool.map(boo, [1.0, 2.0, 3.0])?;
    println!("  1. boo over [1, 2, 3] on 2 processes: {:.2} s", start.elapsed().as_secs_f64());

    println!("lesson 10");
    workload::set_scale(0.01)?;
    let advice = advise(foo, vec![(); 3])?;
    println!("  1. foo: {} → {}", advice.class(), advice.recommendation());
    Ok(())
}

//! Draw one chart of each kind from real runs and save them as PNG (and SVG).
//!
//! `cargo run -p parlab --example gallery -- /tmp/parlab-charts`

use parlab::prelude::*;

/// Sleeps like `delayed_return_for`, but then panics for every fifth task.
fn flaky((i, seconds): (usize, f64)) -> usize {
    let i = delayed_return_for((i, seconds));
    assert!(i % 5 != 3, "task {i} failed on purpose");
    i
}

/// 20% CPU work (holds the simulated GIL), 80% waiting (releases it).
fn mostly_waiting((i, seconds): (usize, f64)) -> usize {
    burn_cpu(0.2 * seconds);
    delayed_return_for((i, 0.8 * seconds))
}

fn main() -> parlab::Result<()> {
    parlab::init();
    // The flaky tasks panic on purpose: one line each instead of a backtrace.
    std::panic::set_hook(Box::new(|info| eprintln!("(expected) {info}")));
    let dir = std::path::PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "/tmp/parlab-charts".into()));
    std::fs::create_dir_all(&dir)?;
    workload::set_scale(0.05)?;
    let save = |name: &str, c: &Chart| -> parlab::Result<()> {
        c.save(dir.join(format!("{name}.png")))?;
        c.save(dir.join(format!("{name}.svg")))?;
        println!("{name}: {c:?}");
        Ok(())
    };

    // The visual guide: 14 tasks of 2 s on four executors.
    let tasks: Vec<(usize, f64)> = (0..14).map(|i| (i, 2.0)).collect();
    let (_, seq) = Sequential::new().run(delayed_return_for, tasks.clone())?;
    let (_, threads) = ThreadPool::new(14)?.gil(true).run(delayed_return_for, tasks.clone())?;
    let (_, procs) = ProcessPool::new(3)?.run(delayed_return_for, tasks.clone())?;
    let (_, hybrid) = HybridPool::new(3, 3)?.run(delayed_return_for, tasks.clone())?;
    save("timeline", &chart::timeline(&threads)?)?;
    save("timelines", &chart::timelines(&[&seq, &threads, &procs, &hybrid])?)?;
    save("speedup", &chart::speedup(&[&seq, &threads, &procs, &hybrid])?)?;

    // Failures show in red.
    let pool = ThreadPool::new(4)?;
    let varied: Vec<(usize, f64)> = (0..12).map(|i| (i, 0.5 + (i % 4) as f64 * 0.5)).collect();
    let _ = pool.map(flaky, varied.clone());
    save("timeline-failures", &chart::timeline(&pool.take_run().with_label("ThreadPool(4), flaky tasks"))?)?;

    // as_completed: shorter later tasks overtake earlier ones.
    let pool = ThreadPool::new(4)?;
    let futures: Vec<_> = (0..16)
        .map(|i| pool.submit(delayed_return_for, (i, 0.3 + ((i * 7) % 5) as f64 * 0.4)))
        .collect::<Result<_>>()?;
    let order: Vec<usize> = as_completed(futures).map(|f| f.result()).collect::<Result<_>>()?;
    println!("as_completed order: {order:?}");
    save("completion", &chart::completion(&pool.take_run().with_label("ThreadPool(4)"))?)?;

    // Worker sweep with a GIL-bound fifth of every task.
    let work: Vec<(usize, f64)> = (0..24).map(|i| (i, 1.0)).collect();
    let (_, base) = Sequential::new().run(mostly_waiting, work.clone())?;
    let sweep = Sweep::measure("20% CPU under the GIL", base.wall, [1, 2, 4, 6, 8, 12], |n| {
        Ok(ThreadPool::new(n)?.gil(true).run(mostly_waiting, work.clone())?.1)
    })?;
    save("sweep", &chart::sweep(&sweep)?)?;

    // Plain numbers: a degree histogram and a time split.
    let degrees: Vec<usize> = (0..500usize).map(|i| 1 + (i * 2654435761usize % 97) % 13 / ((i % 3) + 1)).collect();
    save("histogram", &chart::histogram(&degrees, "Node degrees of a random graph", "degree", "number of nodes")?)?;
    save(
        "stacked",
        &chart::stacked_bars(
            &["ProcessPool(3), copy the matrix", "ProcessPool(3), shared memory", "ThreadPool(3)"],
            &[("transfer", [1.84, 0.06, 0.0]), ("compute", [2.10, 2.05, 6.2])],
            "Where the time goes: transfer vs compute",
            "seconds",
        )?,
    )?;
    save("stack", &chart::stack([&chart::timeline(&seq)?, &chart::speedup(&[&seq, &threads])?])?)?;
    Ok(())
}

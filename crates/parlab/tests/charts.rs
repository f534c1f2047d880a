//! Every chart drawn from real runs: the PNG decodes to the advertised size and
//! is not blank, the SVG carries the title and axis labels, files are written,
//! and bad input is an error value, never a panic.

use std::io::Cursor;
use std::path::PathBuf;

use parlab::prelude::*;

/// Time scale for every test: the seed's 1 s sleeps become 10 ms.
fn fast() {
    workload::set_scale(0.01).unwrap();
}

/// Decode a PNG: (width, height, RGB bytes).
fn decode(png_bytes: &[u8]) -> (u32, u32, Vec<u8>) {
    assert!(png_bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "PNG signature");
    let mut reader = png::Decoder::new(Cursor::new(png_bytes)).read_info().expect("PNG header");
    let mut buf = vec![0; reader.output_buffer_size().expect("buffer size")];
    let info = reader.next_frame(&mut buf).expect("PNG data");
    assert_eq!(info.color_type, png::ColorType::Rgb);
    buf.truncate(info.buffer_size());
    (info.width, info.height, buf)
}

/// Check what every chart promises and return its decoded pixels.
fn check(chart: &Chart, texts: &[&str]) -> Vec<u8> {
    let (w, h, rgb) = decode(chart.png());
    assert_eq!((w, h), chart.size());
    assert_eq!(w, 900, "notebook width");
    let inked = rgb.chunks(3).filter(|p| p != &[255, 255, 255]).count();
    assert!(inked > (w * h) as usize / 100, "PNG looks blank: {inked} non-white pixels");
    let svg = chart.svg();
    assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
    for t in texts {
        assert!(svg.contains(t), "SVG lacks {t:?}");
    }
    rgb
}

fn has_pixel(rgb: &[u8], color: [u8; 3]) -> bool {
    rgb.chunks(3).any(|p| p == color)
}

fn tasks(n: usize, seconds: f64) -> Vec<(usize, f64)> {
    (0..n).map(|i| (i, seconds)).collect()
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("charts-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn timeline_of_a_thread_pool() {
    fast();
    let (_, run) = ThreadPool::new(3).unwrap().run(delayed_return_for, tasks(9, 1.0)).unwrap();
    let c = chart::timeline(&run).unwrap();
    check(&c, &[&run.label, "9 tasks on 3 workers", "seconds since the run started", "worker", "T1", "T3"]);
    assert_eq!(c.titles().len(), 1);
}

#[test]
fn timelines_of_all_four_executors_share_one_figure() {
    fast();
    let t = tasks(8, 1.0);
    let (_, seq) = Sequential::new().run(delayed_return_for, t.clone()).unwrap();
    let (_, threads) = ThreadPool::new(8).unwrap().gil(true).run(delayed_return_for, t.clone()).unwrap();
    let (_, procs) = ProcessPool::new(2).unwrap().run(delayed_return_for, t.clone()).unwrap();
    let (_, hybrid) = HybridPool::new(2, 2).unwrap().run(delayed_return_for, t).unwrap();
    let runs = [&seq, &threads, &procs, &hybrid];
    let c = chart::timelines(&runs).unwrap();
    check(&c, &["main", "T8", "P2", "P2·T2", "Sequential", "Hybrid(2×2"]);
    assert_eq!(c.titles().len(), 4);
    let separate: u32 = runs.iter().map(|r| chart::timeline(r).unwrap().size().1).sum();
    assert_eq!(c.size().1, separate, "panels keep their own heights");
}

#[test]
fn failed_tasks_are_red() {
    fast();
    fn flaky((i, s): (usize, f64)) -> usize {
        let i = delayed_return_for((i, s));
        if i == 2 {
            panic!("task 2 fails on purpose");
        }
        i
    }
    let pool = ThreadPool::new(2).unwrap();
    assert!(pool.map(flaky, tasks(4, 1.0)).is_err());
    let run = pool.take_run();
    assert_eq!(run.tasks.iter().filter(|t| !t.ok).count(), 1);
    let rgb = check(&chart::timeline(&run).unwrap(), &["failed task (1)"]);
    assert!(has_pixel(&rgb, [225, 87, 89]), "a red bar");

    let ok_run = ThreadPool::new(2).unwrap().run(delayed_return_for, tasks(4, 1.0)).unwrap().1;
    let c = chart::timeline(&ok_run).unwrap();
    assert!(!c.svg().contains("failed"));
    assert!(!has_pixel(&decode(c.png()).2, [225, 87, 89]));
}

#[test]
fn speedup_comparison() {
    fast();
    let t = tasks(6, 1.0);
    let (_, seq) = Sequential::new().run(delayed_return_for, t.clone()).unwrap();
    let (_, threads) = ThreadPool::new(6).unwrap().run(delayed_return_for, t).unwrap();
    let c = chart::speedup(&[&seq, &threads]).unwrap();
    check(&c, &["Wall time and speedup against Sequential", "speedup (×, higher is faster)", &threads.label, "1.00×"]);
}

#[test]
fn worker_sweep_with_amdahl_fit() {
    fast();
    let t = tasks(8, 1.0);
    let (_, base) = Sequential::new().run(delayed_return_for, t.clone()).unwrap();
    let sweep = Sweep::measure("sleeps", base.wall, [1, 2, 4], |n| {
        Ok(ThreadPool::new(n)?.run(delayed_return_for, t.clone())?.1)
    })
    .unwrap();
    let c = chart::sweep(&sweep).unwrap();
    check(&c, &["sleeps — speedup against workers", "workers", "speedup (×)", "ideal", "Amdahl fit: serial fraction"]);

    // One worker count only: nothing to fit, still a chart.
    let single = Sweep { runs: sweep.runs[..1].to_vec(), ..sweep.clone() };
    let c = chart::sweep(&single).unwrap();
    assert!(!c.svg().contains("Amdahl"));
}

#[test]
fn completion_order_of_as_completed() {
    fast();
    let pool = ThreadPool::new(4).unwrap();
    let futures: Vec<_> = (0..8).map(|i| pool.submit(delayed_return_for, (i, 4.0 - 0.5 * i as f64)).unwrap()).collect();
    let order: Vec<usize> = as_completed(futures).map(|f| f.result().unwrap()).collect();
    assert_eq!(order.len(), 8);
    let run = pool.take_run();
    let c = chart::completion(&run).unwrap();
    check(&c, &["completion order of 8 tasks", "completion rank (1 = finished first)", "submission index"]);
}

#[test]
fn histogram_of_plain_integers() {
    let degrees: Vec<usize> = vec![0, 1, 1, 2, 2, 2, 3, 9];
    let c = chart::histogram(&degrees, "Node degree", "degree (edges per node)", "nodes").unwrap();
    check(&c, &["Node degree", "degree (edges per node)", "nodes"]);
    // Other integer types, and negative values.
    chart::histogram(&[3u32, 3, 4], "u32", "x", "y").unwrap();
    chart::histogram(&[-5i64, 0, 5], "i64", "x", "y").unwrap();
    // A wide range draws without one bar per pixel trouble.
    let wide: Vec<u64> = (0..2000).map(|i| i * i).collect();
    chart::histogram(&wide, "wide", "x", "y").unwrap();
}

#[test]
fn stacked_bars_split_time_into_parts() {
    let c = chart::stacked_bars(
        &["copy".to_string(), "shared memory".to_string()],
        &[("transfer", vec![1.5, 0.1]), ("compute", vec![2.0, 2.0])],
        "Transfer vs compute",
        "seconds",
    )
    .unwrap();
    check(&c, &["Transfer vs compute", "transfer", "compute", "seconds", "shared memory", "= 3.5"]);
    // All zero is drawable.
    chart::stacked_bars(&["a"], &[("x", [0.0])], "zeros", "s").unwrap();
}

#[test]
fn stack_puts_charts_in_one_figure() {
    let a = chart::histogram(&[1, 2, 2], "A", "x", "y").unwrap();
    let b = chart::stacked_bars(&["a"], &[("x", [1.0])], "B", "s").unwrap();
    let both = chart::stack([&a, &b]).unwrap();
    check(&both, &["A", "B"]);
    assert_eq!(both.size().1, a.size().1 + b.size().1);
    assert_eq!(both.titles(), ["A", "B"]);
    let nested = chart::stack([&both, &a]).unwrap();
    assert_eq!(nested.titles(), ["A", "B", "A"]);
}

#[test]
fn save_writes_png_and_svg() {
    let c = chart::histogram(&[1, 2, 2, 3], "Saved", "x", "y").unwrap();
    let dir = temp_dir("save");
    c.save(dir.join("h.png")).unwrap();
    c.save(dir.join("h.SVG")).unwrap();
    let png_bytes = std::fs::read(dir.join("h.png")).unwrap();
    assert_eq!(png_bytes, c.png());
    assert_eq!(decode(&png_bytes).0, 900);
    assert_eq!(std::fs::read_to_string(dir.join("h.SVG")).unwrap(), c.svg());
    assert!(matches!(c.save(dir.join("h.jpg")), Err(Error::InvalidArgument(_))));
    assert!(matches!(c.save(dir.join("no-extension")), Err(Error::InvalidArgument(_))));
    assert!(matches!(c.save(dir.join("missing/dir/h.png")), Err(Error::Os(_))));
    std::fs::remove_dir_all(dir).unwrap();
}

fn empty_run() -> Run {
    Run { label: "empty".into(), kind: ExecutorKind::Threads, workers: 2, wall: 0.0, tasks: vec![], hosts: vec![] }
}

/// A real one-task run (so every record field is filled), then given odd times.
fn run_with_times(start: f64, end: f64) -> Run {
    let (_, mut run) = Sequential::new().run(|x: u32| x, [0]).unwrap();
    run.label = "odd".into();
    run.tasks[0].start = start;
    run.tasks[0].end = end;
    run.tasks[0].lane = Lane { worker: 0, thread: 0, pid: 1, host: 0 };
    run.wall = end.max(0.0);
    run
}

#[test]
fn bad_input_is_an_error_value() {
    let invalid = |r: Result<Chart>| matches!(r, Err(Error::InvalidArgument(_)));
    let empty = empty_run();
    assert!(invalid(chart::timeline(&empty)));
    assert!(invalid(chart::timelines(&[])));
    assert!(invalid(chart::timelines(&[&run_with_times(0.0, 1.0), &empty])));
    assert!(invalid(chart::completion(&empty)));
    assert!(invalid(chart::speedup(&[])));
    assert!(invalid(chart::speedup(&[&empty]))); // zero wall time
    for (s, e) in [(f64::NAN, 1.0), (0.0, f64::INFINITY), (2.0, 1.0), (-1.0, 1.0)] {
        assert!(invalid(chart::timeline(&run_with_times(s, e))), "start {s}, end {e}");
    }
    assert!(invalid(chart::completion(&run_with_times(0.0, f64::NAN))));
    let mut nan_wall = run_with_times(0.0, 1.0);
    nan_wall.wall = f64::NAN;
    assert!(invalid(chart::timeline(&nan_wall)));
    assert!(invalid(chart::speedup(&[&run_with_times(0.0, 1.0), &nan_wall])));

    let good = run_with_times(0.0, 1.0);
    let no_runs = Sweep { label: "none".into(), baseline: 1.0, runs: vec![] };
    assert!(invalid(chart::sweep(&no_runs)));
    let nan_base = Sweep { label: "nan".into(), baseline: f64::NAN, runs: vec![good.clone()] };
    assert!(invalid(chart::sweep(&nan_base)));
    let zero_workers = Sweep { label: "zero".into(), baseline: 1.0, runs: vec![Run { workers: 0, ..good.clone() }] };
    assert!(invalid(chart::sweep(&zero_workers)));

    assert!(invalid(chart::histogram::<usize>(&[], "none", "x", "y")));
    assert!(invalid(chart::histogram(&[u64::MAX], "too big", "x", "y")));

    let none: [&str; 0] = [];
    assert!(invalid(chart::stacked_bars(&none, &[("x", [0.0; 0])], "t", "s")));
    assert!(invalid(chart::stacked_bars(&["a"], &[] as &[(&str, [f64; 1])], "t", "s")));
    assert!(invalid(chart::stacked_bars(&["a", "b"], &[("x", vec![1.0])], "t", "s")));
    assert!(invalid(chart::stacked_bars(&["a"], &[("x", [f64::NAN])], "t", "s")));
    assert!(invalid(chart::stacked_bars(&["a"], &[("x", [-1.0])], "t", "s")));
}

#[test]
fn a_crashed_worker_gets_its_own_lane() {
    // Two lanes with the same worker index but different pids (a replaced worker).
    let mut run = run_with_times(0.0, 1.0);
    run.kind = ExecutorKind::Processes;
    let mut second = run.tasks[0].clone();
    second.index = 1;
    second.lane.pid = 2;
    run.tasks.push(second);
    let c = chart::timeline(&run).unwrap();
    check(&c, &["P1 (pid 1)", "P1 (pid 2)"]);
}

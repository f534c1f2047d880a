//! The advisor on real tasks: sleeping, computing, both, and nothing at all.
//!
//! Each sample is a few tasks of ~10 ms (scale 0.01), so the suite stays well
//! under a second. Run-queue delay is left out of the ratio, so a machine busy
//! with other work does not turn a computing task into a "waiting" one.

use std::sync::Mutex;

use parlab_core::advisor::{
    MAX_THREADS, Measurements, Recommendation, TRANSFER_SAMPLES, Verdict, WorkloadClass, advise,
};
use parlab_core::prelude::*;

/// The time scale is process-wide; tests that set it take turns.
static SCALE: Mutex<()> = Mutex::new(());

fn scaled<T>(scale: f64, f: impl FnOnce() -> T) -> T {
    let _guard = SCALE.lock().unwrap_or_else(|e| e.into_inner());
    workload::set_scale(scale).unwrap();
    f()
}

/// Half waiting, half computing: sleep `s`, then burn `s` of CPU (both scaled).
fn sleep_then_burn(s: f64) -> u64 {
    gil::sleep(workload::scaled(s));
    burn_cpu(s)
}

#[test]
fn a_sleeping_task_is_waiting_bound_and_gets_threads() {
    let advice = scaled(0.01, || advise(delayed_return_for, (0..6).map(|i| (i, 1.0)))).unwrap();
    let m = &advice.measured;
    assert_eq!(advice.class(), WorkloadClass::WaitingBound, "{advice}");
    assert!(m.cpu_ratio() < 0.1, "{advice}");
    assert!(matches!(advice.recommendation(), Recommendation::ThreadPool { threads: 6, .. }), "{advice}");
    assert_eq!(advice.run.tasks.len(), 6);
    assert!(m.wall_per_task >= 0.009, "each task sleeps 10 ms: {advice}");
}

#[test]
fn a_computing_task_is_cpu_bound_and_gets_processes() {
    let advice = scaled(0.01, || advise(burn_cpu, [1.0; 4])).unwrap();
    assert_eq!(advice.class(), WorkloadClass::CpuBound, "{advice}");
    assert!(advice.measured.cpu_ratio() > 0.85, "{advice}");
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let expected = if cores > 1 {
        Recommendation::ProcessPool { processes: cores.min(4), chunksize: 1 }
    } else {
        Recommendation::Sequential
    };
    assert_eq!(advice.recommendation(), expected, "{advice}");
    let text = advice.to_string();
    assert!(text.starts_with("Advice: CPU-bound"), "{text}");
}

#[test]
fn factorising_is_cpu_bound_with_small_payloads() {
    // Explicit sizes, not scaled: ~2.5 M divisions per task.
    // The shipping probe is timed: a machine busy with other work can stretch
    // one sample's few bytes to most of a millisecond, so a cheap transfer
    // must show in one of three samples (a broken probe never shows it).
    let mut last = None;
    for _ in 0..3 {
        let advice = scaled(1.0, || advise(long_factorize_from, (1..=3).map(|o| (o, 5_000_000)))).unwrap();
        assert_eq!(advice.class(), WorkloadClass::CpuBound, "{advice}");
        // (u64, u64) in, (u64, u64, u64) out: a few bytes each way with postcard varints.
        assert!(advice.measured.arg_bytes <= 16.0 && advice.measured.result_bytes <= 24.0, "{advice}");
        if advice.measured.transfer_ratio() < 0.1 {
            return;
        }
        last = Some(advice);
    }
    panic!("shipping a few bytes cost ≥ 10% of the task three times: {}", last.unwrap());
}

#[test]
fn sleeping_half_and_computing_half_is_mixed() {
    let advice = scaled(0.01, || advise(sleep_then_burn, [1.0; 4])).unwrap();
    assert_eq!(advice.class(), WorkloadClass::Mixed, "{advice}");
    let ratio = advice.measured.cpu_ratio();
    assert!((0.3..0.7).contains(&ratio), "ratio {ratio}: {advice}");
}

#[test]
fn microsecond_tasks_are_too_small() {
    let advice = advise(is_prime, 1_000_000..1_000_500).unwrap();
    assert_eq!(advice.class(), WorkloadClass::TooSmall, "{advice}");
    assert_eq!(advice.recommendation(), Recommendation::Sequential);
    let alt = advice.verdict.alternative.expect("a chunked alternative");
    assert!(alt.chunksize() > 1, "{advice}");
}

#[test]
fn an_empty_sample_is_an_error_not_a_panic() {
    let err = advise(is_prime, Vec::<u64>::new()).unwrap_err();
    assert!(matches!(err, Error::InvalidArgument(ref m) if m.contains("empty")), "{err}");
    assert!(Advisor::new().cores(0).is_err());
}

#[test]
fn a_panicking_task_is_reported() {
    fn fails(_: u32) -> u32 {
        panic!("sample task failed on purpose")
    }
    let err = advise(fails, [1]).unwrap_err();
    assert_eq!(err, Error::Panicked("sample task failed on purpose".into()));
}

#[test]
fn advice_round_trips_through_json() {
    let advice = Advisor::new().cores(3).unwrap().advise(is_prime, 1_000_000..1_000_010).unwrap();
    assert_eq!(advice.measured.cores, 3);
    let json = serde_json::to_string(&advice).unwrap();
    let back: parlab_core::advisor::Advice = serde_json::from_str(&json).unwrap();
    assert_eq!(back.verdict, advice.verdict);
}

// The rules alone, on made-up measurements: counts and classes, no clocks.

fn measured(wall: f64, cpu: f64, tasks: usize, cores: usize) -> Measurements {
    Measurements {
        tasks,
        cores,
        wall_per_task: wall,
        ready_wait_per_task: Some(0.0),
        cpu_per_task: cpu,
        arg_bytes: 16.0,
        result_bytes: 16.0,
        transfer_per_task: 20e-6,
        transfer_samples: tasks.min(TRANSFER_SAMPLES),
    }
}

#[test]
fn cpu_bound_uses_one_process_per_core_and_no_more_than_tasks() {
    let v = Verdict::from_measurements(&measured(0.5, 0.49, 8, 4));
    assert_eq!(v.class, WorkloadClass::CpuBound);
    assert_eq!(v.recommendation, Recommendation::ProcessPool { processes: 4, chunksize: 1 });
    assert_eq!(v.alternative, Some(Recommendation::ThreadPool { threads: 4, chunksize: 1 }));
    let few = Verdict::from_measurements(&measured(0.5, 0.49, 2, 4));
    assert_eq!(few.recommendation.workers(), 2);
    let one_core = Verdict::from_measurements(&measured(0.5, 0.49, 8, 1));
    assert_eq!(one_core.recommendation, Recommendation::Sequential);
}

#[test]
fn waiting_bound_threads_fill_the_cores_capped_by_tasks() {
    // 2% CPU on 2 cores: 100 threads would fill them; 14 tasks cap it.
    let v = Verdict::from_measurements(&measured(2.0, 0.04, 14, 2));
    assert_eq!(v.class, WorkloadClass::WaitingBound);
    assert_eq!(v.recommendation, Recommendation::ThreadPool { threads: 14, chunksize: 1 });
    let many = Verdict::from_measurements(&measured(2.0, 0.04, 10_000, 2));
    assert_eq!(many.recommendation.workers(), 100);
    let idle = Verdict::from_measurements(&measured(2.0, 0.0, 10_000, 2));
    assert_eq!(idle.recommendation.workers(), MAX_THREADS);
}

#[test]
fn mixed_is_hybrid_with_threads_to_cover_the_waits() {
    let v = Verdict::from_measurements(&measured(0.2, 0.05, 40, 3));
    assert_eq!(v.class, WorkloadClass::Mixed);
    assert_eq!(v.recommendation, Recommendation::HybridPool { processes: 3, threads: 4, chunksize: 1 });
    let one_core = Verdict::from_measurements(&measured(0.2, 0.1, 40, 1));
    assert_eq!(one_core.recommendation, Recommendation::ThreadPool { threads: 2, chunksize: 1 });
}

#[test]
fn run_queue_delay_is_not_waiting() {
    let mut m = measured(0.2, 0.1, 8, 2);
    m.ready_wait_per_task = Some(0.1); // half the wall spent waiting for a core
    let v = Verdict::from_measurements(&m);
    assert_eq!(v.class, WorkloadClass::CpuBound);
    assert!(v.reasons[0].contains("busy"), "{:?}", v.reasons);
}

#[test]
fn tiny_tasks_stay_sequential_with_a_chunked_alternative() {
    let v = Verdict::from_measurements(&measured(5e-6, 5e-6, 500, 2));
    assert_eq!(v.class, WorkloadClass::TooSmall);
    assert_eq!(v.recommendation, Recommendation::Sequential);
    assert_eq!(v.alternative, Some(Recommendation::ProcessPool { processes: 2, chunksize: 2000 }));
}

#[test]
fn heavy_payloads_point_to_shared_memory() {
    let mut m = measured(0.01, 0.01, 8, 2);
    m.transfer_per_task = 0.02;
    let v = Verdict::from_measurements(&m);
    assert!(v.reasons.iter().any(|r| r.contains("shared memory") && r.contains("more than the work")), "{v:?}");
}

#[test]
fn a_small_task_with_a_big_argument_is_pointed_at_shared_data_not_processes() {
    // A path-distance question: 0.5 ms of work, a 4 MiB matrix that takes 15 ms to ship.
    let m = Measurements { arg_bytes: 4.0 * 1024.0 * 1024.0, transfer_per_task: 15e-3, ..measured(5e-4, 5e-4, 4, 2) };
    let v = Verdict::from_measurements(&m);
    assert_eq!(v.class, WorkloadClass::TooSmall);
    assert!(matches!(v.alternative, Some(Recommendation::ThreadPool { .. })), "{:?}", v.alternative);
    assert!(v.reasons.iter().any(|r| r.contains("shared-memory handle")), "{:?}", v.reasons);
    // A tiny argument with the same round-trip cost is batching's job, not sharing's.
    let v = Verdict::from_measurements(&Measurements { transfer_per_task: 15e-3, ..measured(5e-4, 5e-4, 4, 2) });
    assert!(matches!(v.alternative, Some(Recommendation::ProcessPool { .. })), "{:?}", v.alternative);
}

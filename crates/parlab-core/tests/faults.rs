//! The checks fail when what they guard is broken. Each fault (see
//! `parlab_core::fault`) runs in a child process of this test with
//! `PARLAB_FAULT` set, and the check that guards it must fail there — with
//! the same retries the real tests allow — while it passes in the same
//! scenario without the fault. A check that cannot fail would show up here.
//!
//! A test with its own `main` (harness = false): the fault is chosen by an
//! environment variable, which must be set before any thread starts.

use std::process::Command;

use parlab_core::prelude::*;

const PRIME: (u64, u64) = (6, 100_000_001);

fn factor_prime(_: u32) -> (u64, u64, u64) {
    long_factorize_from(PRIME)
}

/// Processes computing side by side (the check a serial pool must fail).
fn processes_in_parallel() -> check::Check {
    let pool = ProcessPool::new(2).unwrap().gil(true);
    check::first_pass_of(3, || {
        let offer = machine::offer(2).unwrap();
        check::ran_in_parallel(&pool.run(factor_prime, 0..4u32).unwrap().1, &offer)
    })
}

/// Hybrid workers: two processes × one thread each.
fn hybrid_in_parallel() -> check::Check {
    let pool = HybridPool::new(2, 1).unwrap();
    check::first_pass_of(3, || {
        let offer = machine::offer(2).unwrap();
        check::ran_in_parallel(&pool.run(factor_prime, 0..4u32).unwrap().1, &offer)
    })
}

/// GIL-on threads sleeping together (the check a GIL kept in sleep must fail).
fn sleeps_together() -> check::Check {
    workload::set_scale(1.0).unwrap();
    let pool = ThreadPool::new(4).unwrap().gil(true);
    check::first_pass_of(3, || {
        check::waited_together(&pool.run(delayed_return_for, (0..8).map(|i| (i, 0.1))).unwrap().1)
    })
}

/// `(name, the fault that must break it, the scenario)`.
type Scenario = (&'static str, &'static str, fn() -> check::Check);

const SCENARIOS: [Scenario; 3] = [
    ("processes_in_parallel", "serial-workers", processes_in_parallel),
    ("hybrid_in_parallel", "serial-workers", hybrid_in_parallel),
    ("sleeps_together", "gil-held-in-sleep", sleeps_together),
];

fn main() {
    parlab_core::init();
    // In a child: run one scenario and report through the exit code.
    if let Ok(name) = std::env::var("PARLAB_FAULT_SCENARIO") {
        let (_, _, scenario) = SCENARIOS.iter().find(|s| s.0 == name).expect("known scenario");
        let verdict = scenario();
        println!("{verdict}");
        std::process::exit(if verdict.passed() { 0 } else { 1 });
    }
    let exe = std::env::current_exe().expect("own path");
    let (mut passed, mut failed) = (0, 0);
    for (name, fault, _) in SCENARIOS {
        for injected in [None, Some(fault)] {
            let mut cmd = Command::new(&exe);
            cmd.env("PARLAB_FAULT_SCENARIO", name).env_remove("PARLAB_FAULT");
            if let Some(f) = injected {
                cmd.env("PARLAB_FAULT", f);
            }
            let out = cmd.output().expect("run a scenario");
            let said = String::from_utf8_lossy(&out.stdout);
            let check_passed = out.status.code() == Some(0);
            let want_pass = injected.is_none();
            let what = injected.map_or("no fault".to_string(), |f| format!("PARLAB_FAULT={f}"));
            if check_passed == want_pass {
                passed += 1;
                println!("ok: {name} with {what}: {}", said.trim());
            } else {
                failed += 1;
                let stderr = String::from_utf8_lossy(&out.stderr);
                println!(
                    "FAILED: {name} with {what}: expected the check to {}, got: {} {}",
                    if want_pass { "pass" } else { "fail" },
                    said.trim(),
                    stderr.trim()
                );
            }
        }
    }
    println!("faults: {passed} passed, {failed} failed");
    std::process::exit(if failed == 0 { 0 } else { 1 });
}

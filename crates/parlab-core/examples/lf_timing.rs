use parlab_core::prelude::*;
fn main() {
    for i in 0..14u64 {
        let (r, t) = timed(|| long_factorize(i));
        println!("{i:2} {r:?} {t:.3}s");
    }
    let (_, t) = timed(|| cpu_task(0));
    println!("cpu_task {t:.3}s");
    let (_, t) = timed(|| sum_square(20000));
    println!("sum_square(20000) {t:.6}s");
}

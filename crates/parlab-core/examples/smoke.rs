use parlab_core::prelude::*;

fn square(x: u64) -> u64 {
    x * x
}
fn boom(x: u64) -> u64 {
    if x == 2 { panic!("boom at {x}") }
    x
}

fn main() -> parlab_core::Result<()> {
    parlab_core::init();
    workload::set_scale(0.05)?;
    let p = ProcessPool::new(2)?;
    println!("{:?}", p.map(square, 0..10)?);
    println!("{:?}", p.map_chunked(square, 0..10, 3)?);
    println!("{:?}", p.map(boom, 0..4));
    println!("{:?}", p.submit(boom, 2)?.result());
    let (_, run) = p.run(delayed_return_for, (0..6).map(|i| (i, 1.0)))?;
    println!("{}", run.report());
    let h = HybridPool::new(2, 3)?.gil(true);
    let (_, run) = h.run(delayed_return_for, (0..14).map(|i| (i, 2.0)))?;
    println!("{}", run.report());
    let t = ThreadPool::new(4)?.gil(true);
    let (_, run) = t.run(long_factorize, 0..4)?;
    println!("{}", run.report());
    let t = ThreadPool::new(4)?;
    let (_, run) = t.run(long_factorize, 0..4)?;
    println!("{}", run.report());
    let s = ProcessPool::new(2)?.start_method(StartMethod::Spawn);
    println!("spawn {:?}", s.map(square, 0..10)?);
    Ok(())
}

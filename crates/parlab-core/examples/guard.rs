//! Lesson 5: the `__main__` guard. This program starts its workers with
//! `Spawn` — it runs itself again — so `main` calls `init()` before anything.
//!
//! ```text
//! cargo run -p parlab-core --example guard
//! ```

use parlab_core::prelude::*;
use serde::{Deserialize, Serialize};

fn square(x: u64) -> u64 {
    x * x
}

#[derive(Debug, Serialize, Deserialize)]
struct Order {
    dish: String,
    portions: u32,
}

fn cook(order: Order) -> String {
    format!("{} × {}", order.portions, order.dish)
}

fn main() -> parlab_core::Result<()> {
    parlab_core::init(); // a worker stops here: it serves tasks, then exits

    println!("main runs once, in process {}", std::process::id());
    let pool = ProcessPool::new(2)?.start_method(StartMethod::Spawn);
    println!("{:?}", pool.map(square, 0..8)?);

    let order = Order { dish: "soup".into(), portions: 10 };
    println!("{}", pool.submit(cook, order)?.result()?);
    Ok(())
}

//! The `init` call a program that uses the `Spawn` start method makes first.
//!
//! Invariant: in a worker started by a pool, `init` serves and never returns;
//! in the program itself it returns, and only then marks the program as
//! initialised (what `Spawn` checks before starting workers).

/// Call first thing in `main` of a program that uses the `Spawn` start method.
///
/// In a worker started by the pool, this never returns: it serves tasks and
/// exits. In the program itself it returns at once. It is the Rust form of
/// Python's `if __name__ == "__main__":` guard — without it, a re-executed
/// worker would run your `main` again; with it missing, `Spawn` refuses to
/// start workers ([`Error::NotInitialized`](crate::Error::NotInitialized)) instead of starting them forever.
///
/// ```no_run
/// use parlab_core::prelude::*;
///
/// fn square(x: u64) -> u64 { x * x }
///
/// fn main() -> parlab_core::Result<()> {
///     parlab_core::init(); // workers stop here
///     let pool = ProcessPool::new(2)?.start_method(StartMethod::Spawn);
///     println!("{:?}", pool.map(square, 0..8)?);
///     Ok(())
/// }
/// ```
pub fn init() {
    #[cfg(unix)]
    crate::executor::process::worker::serve_if_spawned();
    #[cfg(feature = "mpi")]
    crate::executor::serve_if_rank();
    crate::executor::process::mark_init_called();
}

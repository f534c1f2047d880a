//! The program `mpirun` starts as every rank of an `MpiPool` whose tasks live
//! in a shared library (a notebook cell): it serves tasks and exits.

fn main() {
    parlab_core::executor::serve_if_rank();
    eprintln!(
        "parlab-mpi-worker is started by an MpiPool through mpirun (it reads PARLAB_MPI); run on its own, it does nothing"
    );
    std::process::exit(2);
}

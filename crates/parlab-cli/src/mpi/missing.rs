//! `parlab mpi` in a `parlab` built without the `mpi` feature: it takes any
//! arguments and says how to get a `parlab` that runs the MPI demos.

use clap::Args as ClapArgs;

use crate::error::CliError;

/// Demos on MPI ranks (this parlab was built without them: rebuild with `--features mpi`)
#[derive(ClapArgs, Debug)]
pub struct Args {
    /// The demo and its flags
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    rest: Vec<String>,
}

/// Refuse, saying how to build a `parlab` with MPI.
pub fn run(_: Args) -> Result<(), CliError> {
    Err(CliError::impossible(
        "this parlab was built without MPI: build it with `cargo build --release -p parlab-cli --features mpi` \
         (needs Open MPI and libclang; scripts/setup installs them), then run `mpirun -n 3 parlab mpi DEMO`",
    ))
}

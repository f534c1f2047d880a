//! What this build of parlab can do on the OS it was compiled for.
//!
//! Invariant: a feature the OS lacks is refused with one sentence that says
//! what to use instead, never attempted.

use crate::error::Error;

/// The error for `what` (a process pool, shared memory) on an OS without
/// `fork` and POSIX shared memory.
#[cfg_attr(unix, allow(dead_code))] // only Windows builds refuse
pub(crate) fn needs_unix(what: &str) -> Error {
    Error::Unsupported(format!(
        "{what} needs fork and POSIX shared memory, which Windows does not have: \
         run parlab under WSL2 (Windows Subsystem for Linux) to use it; \
         Sequential, ThreadPool and par_run work on Windows as they are"
    ))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_refusal_names_what_and_where_to_run_it() {
        let text = super::needs_unix("ProcessPool").to_string();
        assert!(text.contains("ProcessPool") && text.contains("WSL2"), "{text}");
    }
}

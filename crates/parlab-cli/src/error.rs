//! How a demo fails: either the request was impossible (exit 2) or the
//! machinery broke (exit 1). Either way, one line for the user.

use std::fmt;

/// Why a demo did not finish.
#[derive(Debug)]
pub enum CliError {
    /// The flags parse, but ask for something that cannot be done (0 workers,
    /// a matrix larger than memory...). Exit code 2, like clap's own errors.
    Impossible(String),
    /// Something failed while running (a worker died, a file could not be written). Exit code 1.
    Failed(String),
}

impl CliError {
    /// An impossible request, in a sentence.
    pub fn impossible(why: impl Into<String>) -> CliError {
        CliError::Impossible(why.into())
    }

    /// The process exit code for this error.
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Impossible(_) => 2,
            CliError::Failed(_) => 1,
        }
    }

    /// The message folded onto one line.
    pub fn one_line(&self) -> String {
        let text = match self {
            CliError::Impossible(m) | CliError::Failed(m) => m,
        };
        text.split_whitespace().collect::<Vec<_>>().join(" ")
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.one_line())
    }
}

impl From<parlab::Error> for CliError {
    /// The library's "bad value" errors are impossible requests; the rest are failures.
    fn from(e: parlab::Error) -> Self {
        match e {
            parlab::Error::ZeroWorkers | parlab::Error::ZeroChunksize | parlab::Error::InvalidArgument(_) => {
                CliError::Impossible(e.to_string())
            }
            other => CliError::Failed(other.to_string()),
        }
    }
}

impl From<std::io::Error> for CliError {
    fn from(e: std::io::Error) -> Self {
        CliError::Failed(e.to_string())
    }
}

impl From<serde_json::Error> for CliError {
    fn from(e: serde_json::Error) -> Self {
        CliError::Failed(format!("could not write JSON: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_values_exit_2_and_failures_exit_1() {
        assert_eq!(CliError::from(parlab::Error::ZeroWorkers).exit_code(), 2);
        assert_eq!(CliError::from(parlab::Error::InvalidArgument("x".into())).exit_code(), 2);
        assert_eq!(CliError::from(parlab::Error::BrokenPool("gone".into())).exit_code(), 1);
        assert_eq!(CliError::Failed("a\n  b".into()).one_line(), "a b");
    }
}

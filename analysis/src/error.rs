//! Errors of the command line: a user's mistake (exit code 2) or a failure to write results.

use std::path::PathBuf;

/// Something in the user's input is wrong; the message names the file, the field and what
/// is allowed. The command exits with code 2.
#[derive(Debug, thiserror::Error)]
#[error("{file}: {message}")]
pub struct InputError {
    pub file: PathBuf,
    pub message: String,
}

impl InputError {
    pub fn new(file: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        InputError {
            file: file.into(),
            message: message.into(),
        }
    }
}

//! The `tokenswarm` command's library: loading scenario files, running them and writing
//! results. The binary (`main.rs`) only parses arguments and maps errors to exit codes.

pub mod error;
pub mod load;
pub mod output;
pub mod run;
pub mod table;

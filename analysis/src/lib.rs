//! The `tokenswarm` command's library: loading scenario files, running them, sweeping their
//! parameters, writing tables, drawing plots and checking regressions. The binary
//! (`main.rs`) only parses arguments and maps errors to exit codes.

pub mod budget;
pub mod check;
pub mod compare;
pub mod destination;
pub mod error;
pub mod frame;
pub mod glossary;
pub mod huge_pages;
pub mod load;
pub mod metrics;
pub mod output;
pub mod plot;
pub mod progress;
pub mod run;
pub mod survival;
pub mod sweep;
pub mod table;

//! The `deepskip` command as a library: each sub-command lives in its own module under
//! [`commands`], so the reproduction can call the same code the command line runs.

pub mod analysis;
pub mod commands;
pub mod interrupt;
pub mod reproduction;

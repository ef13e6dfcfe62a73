//! The `deepskip` command: the clap layer over the library crates. Each sub-command lives in
//! its own module under [`commands`]; the study's events are rendered by [`render`].

pub mod commands;
pub mod interrupt;
pub mod render;

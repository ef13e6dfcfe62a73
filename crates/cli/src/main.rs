//! `deepskip`: fetch data, train, analyse and reproduce the paper's tables and figures.

use clap::Parser;
use deepskip_cli::commands::Cli;

fn main() -> std::process::ExitCode {
    // Training frees and re-allocates every activation each step; see deepskip_train::heap.
    deepskip_train::keep_freed_memory();
    let cli = Cli::parse();
    match cli.run() {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

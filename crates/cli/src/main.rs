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
            if let Some(hint) = deepskip_cli::flag_hint(&err) {
                eprintln!("hint: {hint}");
            }
            std::process::ExitCode::FAILURE
        }
    }
}

//! Writes the test suite's synthetic results directory and its report into the directory
//! given as the only argument, for looking at the output (see scripts/screenshot-report.sh).

#[path = "../tests/fixture/mod.rs"]
mod fixture;

use deepskip_report::{write_report, ProfileDescription};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = std::env::args_os()
        .nth(1)
        .ok_or("usage: fixture_report <output directory>")?;
    let out = std::path::PathBuf::from(out);
    std::fs::create_dir_all(&out)?;
    fixture::write_results(&out);
    let profile = ProfileDescription::new(
        "fixture",
        vec![
            "synthetic numbers from the test fixture, not a training run".into(),
            "width multiplier 0.25".into(),
        ],
    );
    let files = write_report(&out, &profile)?;
    println!("{}", files.html.display());
    Ok(())
}

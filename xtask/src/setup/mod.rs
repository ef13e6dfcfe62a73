//! `cargo xtask setup`: system packages, then libtorch. Every other task runs it first; once done
//! it only checks (well under a second) and prints one line.

mod cache;
mod install_state;
pub mod libtorch;
mod system_packages;
mod workspace_link;

use anyhow::Result;

use cache::CacheLayout;
pub use libtorch::Libtorch;
use system_packages::{OptionalOutcome, Requirement};

/// The PyTorch release tch 0.24 binds to.
pub const TORCH_VERSION: &str = "2.11.0";

/// Provisions everything the build needs, points `<workspace>/.libtorch` at it, and returns the
/// libtorch to build against: that link, which `.cargo/config.toml` also names.
pub fn run() -> Result<Libtorch> {
    let layout = CacheLayout::from_env()?;
    let ready = libtorch::find_ready(&layout)?;
    let mut required = vec![
        Requirement::OpenBlas,
        Requirement::PkgConfig,
        Requirement::CxxCompiler,
    ];
    if ready.is_none() {
        // Only needed to create the cache venv.
        required.push(Requirement::PythonVenv);
    }
    let installed = system_packages::ensure(&required)?;
    let libtorch = match ready {
        Some(libtorch) => libtorch,
        None => libtorch::provision_cache(&layout)?,
    };
    let labels: Vec<&str> = required.iter().map(|r| r.label()).collect();
    let system = if installed.is_empty() {
        format!("{} present", labels.join(", "))
    } else {
        format!("installed {}", installed.join(" "))
    };
    let link = workspace_link::link_path(&crate::cmd::workspace_root());
    let relinked = workspace_link::point_at(&link, &libtorch.dir)?;
    let linked = if relinked { ", linked" } else { "" };
    eprintln!(
        "xtask setup: {system}; {}; {}{linked}",
        libtorch.describe(),
        link.display()
    );
    slurm_for_its_test();
    Ok(Libtorch {
        dir: link,
        origin: libtorch.origin,
    })
}

/// Slurm and MUNGE for the test against a real Slurm; where they cannot be installed the test
/// skips, so setup only says how to install them.
fn slurm_for_its_test() {
    match system_packages::ensure_optional(&[Requirement::Slurm, Requirement::Munge]) {
        OptionalOutcome::Ready { installed } if installed.is_empty() => {}
        OptionalOutcome::Ready { installed } => {
            eprintln!(
                "xtask setup: installed {} (the Slurm test)",
                installed.join(" ")
            );
        }
        OptionalOutcome::Missing(how) => {
            eprintln!("xtask setup: the Slurm test will be skipped: {how}");
        }
    }
}

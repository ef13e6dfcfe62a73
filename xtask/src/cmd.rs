//! Running child processes: cargo from the workspace root, failures that name the command.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};

use anyhow::{bail, Context, Result};

/// Writes `text` to `<path>.tmp`, then renames it over `path`: a reader never sees a partial
/// file.
pub fn write_atomic(path: &Path, text: &str) -> Result<()> {
    let mut tmp_name = path.file_name().unwrap_or_default().to_os_string();
    tmp_name.push(".tmp");
    let tmp = path.with_file_name(tmp_name);
    std::fs::write(&tmp, text).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, path)
        .with_context(|| format!("renaming {} to {}", tmp.display(), path.display()))
}

/// Builds the release binary `bin` of deepskip-cli against the provisioned libtorch and returns
/// its path; `tag` names the task in the printed command.
pub fn build_release_binary(env: &crate::env::BuildEnv, bin: &str, tag: &str) -> Result<PathBuf> {
    let mut build = cargo();
    build.args(["build", "--release", "-p", "deepskip-cli", "--bin", bin]);
    env.apply(&mut build);
    eprintln!("xtask {tag}: {}", display(&build));
    run_checked(&mut build)?;
    // CARGO_TARGET_DIR is relative to the workspace root, where cargo ran (`join` keeps an
    // absolute one as it is).
    let target = std::env::var_os("CARGO_TARGET_DIR").unwrap_or_else(|| "target".into());
    Ok(workspace_root().join(target).join("release").join(bin))
}

/// The workspace root (xtask lives in `<root>/xtask`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask sits inside the workspace")
        .to_path_buf()
}

/// The cargo that ran `cargo xtask` (it sets `CARGO`), run from the workspace root.
pub fn cargo() -> Command {
    let mut command =
        Command::new(std::env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo")));
    command.current_dir(workspace_root());
    command
}

/// Runs `command` with inherited stdio and returns its status.
pub fn run(command: &mut Command) -> Result<ExitStatus> {
    command
        .status()
        .with_context(|| format!("cannot start `{}`", display(command)))
}

/// Runs `command`; a non-zero exit is an error naming the command.
pub fn run_checked(command: &mut Command) -> Result<()> {
    let status = run(command)?;
    if !status.success() {
        bail!("`{}` failed ({status})", display(command));
    }
    Ok(())
}

pub fn display(command: &Command) -> String {
    let mut parts = vec![command.get_program().to_string_lossy().into_owned()];
    parts.extend(
        command
            .get_args()
            .map(|arg| arg.to_string_lossy().into_owned()),
    );
    parts.join(" ")
}

//! Running child processes: cargo from the workspace root, failures that name the command.

use std::ffi::OsString;
use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Output};
use std::time::Duration;

use anyhow::{bail, Context, Result};

/// Replaces `path` with `text` through the workspace's one atomic writer (temp file, fsync,
/// rename, fsync of the directory): a reader never sees a partial file.
pub fn write_atomic(path: &Path, text: &str) -> Result<()> {
    deepskip_atomic_write::write(path, text.as_bytes())
        .with_context(|| format!("replacing {}", path.display()))
}

/// Builds the release binary `bin` of `package` against the provisioned libtorch and returns
/// its path; `tag` names the task in the printed command.
pub fn build_release_binary(
    env: &crate::env::BuildEnv,
    binary: (&str, &str),
    tag: &str,
) -> Result<PathBuf> {
    let mut paths = build_release_binaries(env, &[binary], tag)?;
    Ok(paths.remove(0))
}

/// Builds the release `binaries` (package, binary) in one cargo call (one feature resolution,
/// so nothing is built twice) and returns their paths in the same order.
pub fn build_release_binaries(
    env: &crate::env::BuildEnv,
    binaries: &[(&str, &str)],
    tag: &str,
) -> Result<Vec<PathBuf>> {
    let mut build = cargo();
    build.args(["build", "--release"]);
    for (package, bin) in binaries {
        build.args(["-p", package, "--bin", bin]);
    }
    env.apply(&mut build);
    eprintln!("xtask {tag}: {}", display(&build));
    run_checked(&mut build)?;
    // CARGO_TARGET_DIR is relative to the workspace root, where cargo ran (`join` keeps an
    // absolute one as it is).
    let target = std::env::var_os("CARGO_TARGET_DIR").unwrap_or_else(|| "target".into());
    let dir = workspace_root().join(target).join("release");
    Ok(binaries.iter().map(|(_, bin)| dir.join(bin)).collect())
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

/// Runs a command that installs software (venv creation, pip, apt-get). Unit tests never get
/// this far: they inject fake install steps, and this guard makes a test that reaches a real
/// install panic before anything is downloaded.
pub fn run_install(command: &mut Command) -> Result<()> {
    if cfg!(test) {
        panic!(
            "a unit test tried to start a real install (`{}`); inject fake InstallSteps instead",
            display(command)
        );
    }
    run_checked(command)
}

/// `command.output()`, retried while the executable is busy (ETXTBSY): a script written just
/// before it runs stays "busy" while any other thread's fork still holds the write descriptor.
/// That is a transient spawn failure, not a broken program.
pub fn output_retrying_busy(command: &mut Command) -> io::Result<Output> {
    const ATTEMPTS: u32 = 20;
    let mut attempt = 1;
    loop {
        match command.output() {
            Err(err) if err.kind() == io::ErrorKind::ExecutableFileBusy && attempt < ATTEMPTS => {
                std::thread::sleep(Duration::from_millis(10 * u64::from(attempt)));
                attempt += 1;
            }
            result => return result,
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn busy_executable_is_retried_until_it_runs() {
        let tmp = tempfile::tempdir().unwrap();
        let script = tmp.path().join("busy.sh");
        std::fs::write(&script, "#!/bin/sh\necho ran\n").unwrap();
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
        // An open write descriptor makes exec fail with ETXTBSY until it is closed.
        let writer = std::fs::OpenOptions::new()
            .append(true)
            .open(&script)
            .unwrap();
        let busy = Command::new(&script).output().unwrap_err();
        assert_eq!(busy.kind(), io::ErrorKind::ExecutableFileBusy);
        let closer = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(100));
            drop(writer);
        });
        let out = output_retrying_busy(&mut Command::new(&script)).unwrap();
        closer.join().unwrap();
        assert_eq!(String::from_utf8_lossy(&out.stdout), "ran\n");
    }

    #[test]
    fn a_test_that_reaches_a_real_install_panics_before_running_it() {
        let tmp = tempfile::tempdir().unwrap();
        let witness = tmp.path().join("installed");
        let mut install = Command::new("touch");
        install.arg(&witness);
        let outcome =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run_install(&mut install)));
        let message = *outcome.unwrap_err().downcast::<String>().unwrap();
        assert!(message.contains("real install"), "{message}");
        assert!(!witness.exists(), "the install command must not have run");
    }
}

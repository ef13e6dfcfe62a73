//! The environment spawned cargo processes and built binaries need to find libtorch, and
//! `cargo xtask env`, which prints it as shell `export` lines.
//!
//! RUSTFLAGS is deliberately left alone: changing it would make plain `cargo` and `cargo xtask`
//! invalidate each other's build cache. LIBTORCH is only read by torch-sys's build script.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Variables that would make torch-sys look elsewhere than `LIBTORCH`.
const OVERRIDING_VARS: [&str; 3] = ["LIBTORCH_USE_PYTORCH", "LIBTORCH_INCLUDE", "LIBTORCH_LIB"];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildEnv {
    pub libtorch: PathBuf,
    /// `$LIBTORCH/lib` ahead of the inherited `LD_LIBRARY_PATH`.
    pub ld_library_path: OsString,
}

impl BuildEnv {
    pub fn new(libtorch: &Path, inherited_ld_library_path: Option<OsString>) -> Self {
        let mut dirs = vec![libtorch.join("lib")];
        if let Some(inherited) = inherited_ld_library_path {
            dirs.extend(
                std::env::split_paths(&inherited).filter(|dir| dir != &libtorch.join("lib")),
            );
        }
        let ld_library_path =
            std::env::join_paths(dirs).unwrap_or_else(|_| libtorch.join("lib").into());
        Self {
            libtorch: libtorch.to_path_buf(),
            ld_library_path,
        }
    }

    pub fn from_process(libtorch: &Path) -> Self {
        Self::new(libtorch, std::env::var_os("LD_LIBRARY_PATH"))
    }

    pub fn apply(&self, command: &mut Command) {
        command
            .env("LIBTORCH", &self.libtorch)
            .env("LD_LIBRARY_PATH", &self.ld_library_path);
        for var in OVERRIDING_VARS {
            command.env_remove(var);
        }
    }

    /// Lines for `eval "$(cargo xtask env)"`; the library path is expanded by the user's shell,
    /// not copied from this process (cargo adds its own entries to it).
    pub fn export_lines(&self) -> String {
        format!(
            "export LIBTORCH={}\nexport LD_LIBRARY_PATH=\"$LIBTORCH/lib${{LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}}\"\n",
            shell_quote(&self.libtorch.to_string_lossy())
        )
    }
}

fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn libtorch_lib_goes_first_and_is_not_duplicated() {
        let env = BuildEnv::new(Path::new("/t"), Some("/t/lib:/usr/local/lib".into()));
        assert_eq!(env.ld_library_path, OsString::from("/t/lib:/usr/local/lib"));
    }

    #[test]
    fn no_inherited_path_gives_just_libtorch_lib() {
        let env = BuildEnv::new(Path::new("/t"), None);
        assert_eq!(env.ld_library_path, OsString::from("/t/lib"));
    }

    #[test]
    fn apply_sets_libtorch_and_removes_overrides() {
        let env = BuildEnv::new(Path::new("/t"), None);
        let mut command = Command::new("true");
        command.env("LIBTORCH_USE_PYTORCH", "1");
        env.apply(&mut command);
        let vars: Vec<_> = command.get_envs().collect();
        assert!(vars.contains(&("LIBTORCH".as_ref(), Some("/t".as_ref()))));
        assert!(vars.contains(&("LIBTORCH_USE_PYTORCH".as_ref(), None)));
    }

    #[test]
    fn export_lines_quote_the_path() {
        let env = BuildEnv::new(Path::new("/it's"), None);
        let lines = env.export_lines();
        assert!(
            lines.starts_with("export LIBTORCH='/it'\\''s'\n"),
            "{lines}"
        );
        assert!(lines
            .contains("LD_LIBRARY_PATH=\"$LIBTORCH/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}\""));
    }
}

//! What goes into the GPU check's folder, and how: executables stripped, binaries and shared
//! libraries gzip-compressed (the script unpacks them), text and data copied as they are; every
//! file recorded in `manifest.json` with the bytes it occupies there.

use std::fmt::Write as _;
use std::fs::File;
use std::io::{BufReader, BufWriter};
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};
use flate2::write::GzEncoder;
use flate2::Compression;
use serde::Serialize;

use crate::cmd;

/// Libraries every Linux machine with a PyTorch install has (glibc, the C++ runtime): never
/// carried.
const SYSTEM_LIBRARIES: [&str; 10] = [
    "linux-vdso.so",
    "ld-linux-x86-64.so",
    "libc.so",
    "libm.so",
    "libdl.so",
    "libpthread.so",
    "librt.so",
    "libutil.so",
    "libgcc_s.so",
    "libstdc++.so",
];

/// One file of the folder.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Entry {
    /// Relative to the folder.
    pub path: String,
    /// Bytes in the folder (compressed where `unpacked_bytes` is set).
    pub bytes: u64,
    /// Bytes once unpacked (stripped, for executables); `None` for a file copied as it is.
    pub unpacked_bytes: Option<u64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Manifest {
    pub files: Vec<Entry>,
}

impl Manifest {
    pub fn total_bytes(&self) -> u64 {
        self.files.iter().map(|f| f.bytes).sum()
    }

    /// Strips a copy of `binary` and stores it gzip-compressed as `<dir>/<name>.gz`.
    pub fn add_executable(&mut self, out: &Path, binary: &Path, dir: &str) -> Result<()> {
        let name = file_name(binary)?;
        let scratch = out.join(".strip").join(&name);
        create_parent(&scratch)?;
        std::fs::copy(binary, &scratch)
            .with_context(|| format!("copying {} to {}", binary.display(), scratch.display()))?;
        let mut strip = Command::new("strip");
        strip.arg("--strip-all").arg(&scratch);
        cmd::run_checked(&mut strip).context("stripping (strip comes with binutils)")?;
        self.add_compressed(out, &scratch, &name, dir)?;
        std::fs::remove_dir_all(out.join(".strip")).context("removing the strip scratch")
    }

    /// Stores the file behind `library` (a symlink is followed) as `<dir>/<its name>.gz`.
    pub fn add_library(&mut self, out: &Path, library: &Path, dir: &str) -> Result<()> {
        self.add_compressed(out, library, &file_name(library)?, dir)
    }

    fn add_compressed(&mut self, out: &Path, source: &Path, name: &str, dir: &str) -> Result<()> {
        let relative = format!("{dir}/{name}.gz");
        let target = out.join(&relative);
        create_parent(&target)?;
        let mut input = BufReader::new(
            File::open(source).with_context(|| format!("opening {}", source.display()))?,
        );
        let output =
            File::create(&target).with_context(|| format!("creating {}", target.display()))?;
        let mut encoder = GzEncoder::new(BufWriter::new(output), Compression::default());
        std::io::copy(&mut input, &mut encoder)
            .and_then(|_| encoder.finish().map(drop))
            .with_context(|| {
                format!("compressing {} into {}", source.display(), target.display())
            })?;
        self.files.push(Entry {
            path: relative,
            bytes: size(&target)?,
            unpacked_bytes: Some(size(source)?),
        });
        Ok(())
    }

    /// Copies `source` into `<dir>/` (the folder itself for an empty `dir`).
    pub fn add_plain(&mut self, out: &Path, source: &Path, dir: &str) -> Result<()> {
        let name = file_name(source)?;
        let relative = if dir.is_empty() {
            name
        } else {
            format!("{dir}/{name}")
        };
        let target = out.join(&relative);
        create_parent(&target)?;
        std::fs::copy(source, &target)
            .with_context(|| format!("copying {} to {}", source.display(), target.display()))?;
        self.files.push(Entry {
            path: relative,
            bytes: size(&target)?,
            unpacked_bytes: None,
        });
        Ok(())
    }

    pub fn write(&self, out: &Path) -> Result<()> {
        cmd::write_atomic(
            &out.join("manifest.json"),
            &(serde_json::to_string_pretty(self)? + "\n"),
        )
    }

    /// One line per file and the total, in MiB.
    pub fn describe(&self) -> String {
        let mib = |bytes: u64| bytes as f64 / 1048576.0;
        let mut text = String::new();
        for file in &self.files {
            let unpacked = file
                .unpacked_bytes
                .map_or(String::new(), |u| format!(" ({:.1} MiB unpacked)", mib(u)));
            let _ = writeln!(
                text,
                "  {:>7.2} MiB  {}{unpacked}",
                mib(file.bytes),
                file.path
            );
        }
        let _ = writeln!(text, "  {:>7.2} MiB  in all", mib(self.total_bytes()));
        text
    }
}

/// The shared libraries `binary` loads from outside the PyTorch installation that owns
/// `libtorch_lib` and outside [`SYSTEM_LIBRARIES`]: what a machine with only PyTorch lacks.
pub fn foreign_libraries(binary: &Path, libtorch_lib: &Path) -> Result<Vec<PathBuf>> {
    let out = Command::new("ldd")
        .arg(binary)
        .env("LD_LIBRARY_PATH", libtorch_lib)
        .output()
        .context("running ldd")?;
    if !out.status.success() {
        bail!(
            "ldd {} failed: {}",
            binary.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // The PyTorch wheel's own dependencies (nvidia-* wheels) sit beside torch in site-packages.
    let install = libtorch_lib
        .parent()
        .and_then(Path::parent)
        .unwrap_or(libtorch_lib);
    Ok(parse_ldd(&String::from_utf8_lossy(&out.stdout))
        .into_iter()
        .filter(|(name, path)| {
            !path.starts_with(install) && !SYSTEM_LIBRARIES.iter().any(|s| name.starts_with(s))
        })
        .map(|(_, path)| path)
        .collect())
}

/// `name => path (0x...)` lines of ldd; a library it could not find is an error later, when
/// the binary runs, so it is left out here.
fn parse_ldd(text: &str) -> Vec<(String, PathBuf)> {
    text.lines()
        .filter_map(|line| {
            let (name, rest) = line.trim().split_once(" => ")?;
            let path = rest.split(" (").next()?.trim();
            path.starts_with('/')
                .then(|| (name.to_string(), PathBuf::from(path)))
        })
        .collect()
}

fn file_name(path: &Path) -> Result<String> {
    Ok(path
        .file_name()
        .with_context(|| format!("{} has no file name", path.display()))?
        .to_string_lossy()
        .into_owned())
}

fn create_parent(path: &Path) -> Result<()> {
    let parent = path.parent().context("a path without a parent")?;
    std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))
}

fn size(path: &Path) -> Result<u64> {
    Ok(std::fs::metadata(path)
        .with_context(|| format!("reading the size of {}", path.display()))?
        .len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ldd_lines_give_names_and_paths_and_skip_the_unresolved() {
        let text = "\tlinux-vdso.so.1 (0x00007ffd)\n\
            \tlibopenblas.so.0 => /usr/lib/x86_64-linux-gnu/libopenblas.so.0 (0x00007f01)\n\
            \tlibtorch.so => /venv/site-packages/torch/lib/libtorch.so (0x00007f02)\n\
            \tlibmissing.so => not found\n";
        assert_eq!(
            parse_ldd(text),
            [
                (
                    "libopenblas.so.0".to_string(),
                    PathBuf::from("/usr/lib/x86_64-linux-gnu/libopenblas.so.0")
                ),
                (
                    "libtorch.so".to_string(),
                    PathBuf::from("/venv/site-packages/torch/lib/libtorch.so")
                ),
            ]
        );
    }

    #[test]
    fn files_are_packed_and_counted_as_they_lie_in_the_folder() {
        let dir = tempfile::tempdir().unwrap();
        let source = dir.path().join("libfake.so.1");
        std::fs::write(&source, vec![7u8; 100_000]).unwrap();
        let out = dir.path().join("out");
        let mut manifest = Manifest::default();
        manifest.add_library(&out, &source, "payload/lib").unwrap();
        manifest.add_plain(&out, &source, "").unwrap();
        let packed = &manifest.files[0];
        assert_eq!(packed.path, "payload/lib/libfake.so.1.gz");
        assert_eq!(packed.unpacked_bytes, Some(100_000));
        assert!(packed.bytes < 1_000, "{packed:?}");
        let mut unpacked = Vec::new();
        std::io::Read::read_to_end(
            &mut flate2::read::GzDecoder::new(File::open(out.join(&packed.path)).unwrap()),
            &mut unpacked,
        )
        .unwrap();
        assert_eq!(unpacked, vec![7u8; 100_000]);
        assert_eq!(manifest.files[1].bytes, 100_000);
        assert_eq!(manifest.total_bytes(), packed.bytes + 100_000);
        assert!(manifest.describe().contains("in all"));
    }
}

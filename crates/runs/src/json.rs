//! The JSON records of a run directory: read whole, replaced atomically.

use crate::RunsError;
use serde::{de::DeserializeOwned, Serialize};
use std::path::Path;

/// Reads a JSON file into `T`.
pub fn read_json<T: DeserializeOwned>(path: &Path) -> Result<T, RunsError> {
    let text = std::fs::read_to_string(path).map_err(RunsError::io(path))?;
    serde_json::from_str(&text).map_err(RunsError::json(path))
}

/// Replaces `path` with `value` as pretty JSON and a final newline (see [`write_atomic`]).
pub fn write_json_atomic<T: Serialize + ?Sized>(path: &Path, value: &T) -> Result<(), RunsError> {
    let mut text = serde_json::to_string_pretty(value).map_err(RunsError::json(path))?;
    text.push('\n');
    write_atomic(path, text.as_bytes())
}

/// Replaces `path` with `bytes`: temp file in the same directory, fsync, rename, fsync of the
/// directory (deepskip-atomic-write, the workspace's one writer).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), RunsError> {
    Ok(deepskip_atomic_write::write(path, bytes)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_round_trips_and_a_damaged_file_names_its_path() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("sub/out.json");
        write_json_atomic(&path, &vec![1, 2]).unwrap();
        assert_eq!(read_json::<Vec<i32>>(&path).unwrap(), vec![1, 2]);
        std::fs::write(&path, "[1,").unwrap();
        let err = read_json::<Vec<i32>>(&path).unwrap_err();
        assert!(err.to_string().contains("out.json"), "{err}");
    }
}

//! HTTP(S) downloads that resume, show progress, land atomically and are MD5-checked.

use crate::checksum::md5_file;
use crate::DataError;
use indicatif::{ProgressBar, ProgressStyle};
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Downloads `url` to `dest`. Bytes go to `<dest>.part` first; a `.part` left by an interrupted
/// download is resumed with an HTTP Range request. The complete file must have MD5
/// `expected_md5`, then it is renamed to `dest`; on a mismatch the `.part` is discarded.
pub fn download(
    url: &str,
    dest: &Path,
    expected_md5: &str,
    show_progress: bool,
) -> Result<(), DataError> {
    let part = part_path(dest);
    let offset = std::fs::metadata(&part).map(|m| m.len()).unwrap_or(0);
    match transfer(url, &part, offset, show_progress) {
        // 416: the range starts at or after the end, the part may already be complete.
        Err(Transfer::RangeNotSatisfiable) => {}
        Err(Transfer::Failed(err)) => return Err(err),
        Ok(()) => {}
    }
    let actual = md5_file(&part)?;
    if actual != expected_md5 {
        // Our own partial file, never user data: a fresh attempt must start from zero.
        let _ = std::fs::remove_file(&part);
        return Err(DataError::DownloadChecksum {
            url: url.to_owned(),
            expected: expected_md5.to_owned(),
            actual,
        });
    }
    std::fs::rename(&part, dest).map_err(|e| DataError::io(dest, e))
}

/// Where the bytes of an unfinished download of `dest` are kept.
pub fn part_path(dest: &Path) -> PathBuf {
    let mut name = dest.as_os_str().to_owned();
    name.push(".part");
    PathBuf::from(name)
}

enum Transfer {
    RangeNotSatisfiable,
    Failed(DataError),
}

fn transfer(url: &str, part: &Path, offset: u64, show_progress: bool) -> Result<(), Transfer> {
    let failed = |reason: String| {
        Transfer::Failed(DataError::Download {
            url: url.to_owned(),
            reason,
        })
    };
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_connect(Some(Duration::from_secs(30)))
        .timeout_recv_response(Some(Duration::from_secs(60)))
        .build()
        .into();
    // Ranges refer to the stored bytes: ask for no transfer encoding.
    let mut request = agent.get(url).header("Accept-Encoding", "identity");
    if offset > 0 {
        request = request.header("Range", format!("bytes={offset}-"));
    }
    let mut response = match request.call() {
        Ok(r) => r,
        Err(ureq::Error::StatusCode(416)) if offset > 0 => {
            return Err(Transfer::RangeNotSatisfiable)
        }
        Err(e) => return Err(failed(e.to_string())),
    };
    let resumed = response.status().as_u16() == 206;
    if resumed && !content_range_starts_at(&response, offset) {
        return Err(failed(format!(
            "server answered a Range request for bytes {offset}- with another range"
        )));
    }
    let start = if resumed { offset } else { 0 };
    let mut file = open_part(part, resumed).map_err(Transfer::Failed)?;
    let length = response
        .headers()
        .get("content-length")
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    let bar = progress_bar(url, length.map(|l| l + start), start, show_progress);
    let mut reader = response.body_mut().as_reader();
    let mut buf = vec![0u8; 1 << 18];
    loop {
        let n = reader.read(&mut buf).map_err(|e| {
            failed(format!(
                "interrupted after {} bytes ({e}); run again to resume",
                bar.position()
            ))
        })?;
        if n == 0 {
            break;
        }
        file.write_all(&buf[..n])
            .map_err(|e| Transfer::Failed(DataError::io(part, e)))?;
        bar.inc(n as u64);
    }
    file.flush()
        .map_err(|e| Transfer::Failed(DataError::io(part, e)))?;
    bar.finish_and_clear();
    Ok(())
}

fn content_range_starts_at(response: &ureq::http::Response<ureq::Body>, offset: u64) -> bool {
    response
        .headers()
        .get("content-range")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with(&format!("bytes {offset}-")))
}

fn open_part(part: &Path, append: bool) -> Result<File, DataError> {
    if let Some(dir) = part.parent() {
        std::fs::create_dir_all(dir).map_err(|e| DataError::io(dir, e))?;
    }
    let mut options = OpenOptions::new();
    if append {
        options.append(true);
    } else {
        options.write(true).create(true).truncate(true);
    }
    options.open(part).map_err(|e| DataError::io(part, e))
}

fn progress_bar(url: &str, total: Option<u64>, start: u64, show: bool) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    let bar = total.map_or_else(ProgressBar::no_length, ProgressBar::new);
    if let Ok(style) = ProgressStyle::with_template(
        "{msg} {bar:30} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
    ) {
        bar.set_style(style);
    }
    let name = url.rsplit('/').next().unwrap_or(url).to_owned();
    bar.set_message(name);
    bar.set_position(start);
    bar
}

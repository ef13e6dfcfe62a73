//! Reading `<run>/metrics.jsonl` (deepskip-train appends to it, one line per epoch).

use crate::schema::EpochMetrics;
use crate::RunsError;
use std::path::Path;

/// Parses the text of a `metrics.jsonl`. A torn last line (a crash during an append: the text
/// does not end in a newline) is dropped; any other unreadable line is an error, with its
/// 1-based line number.
pub fn parse_metrics(text: &str) -> Result<Vec<EpochMetrics>, (usize, serde_json::Error)> {
    let torn_tail = !text.is_empty() && !text.ends_with('\n');
    let lines: Vec<(usize, &str)> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .collect();
    let mut out = Vec::with_capacity(lines.len());
    for (k, &(i, line)) in lines.iter().enumerate() {
        match serde_json::from_str(line) {
            Ok(m) => out.push(m),
            Err(_) if torn_tail && k + 1 == lines.len() => break,
            Err(e) => return Err((i + 1, e)),
        }
    }
    Ok(out)
}

/// Every recorded epoch of the `metrics.jsonl` at `path`; a missing file is an empty history,
/// a torn last line is dropped (see [`parse_metrics`]).
pub fn read_metrics(path: &Path) -> Result<Vec<EpochMetrics>, RunsError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(RunsError::io(path)(e)),
    };
    parse_metrics(&text).map_err(|(line, source)| RunsError::Json {
        path: path.to_path_buf(),
        line: Some(line),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINE: &str = r#"{"epoch":1,"step":5,"train_loss":1.0,"train_acc":0.5,"test_loss":1.0,"test_acc":0.4,"lr":0.1,"seconds":1.0,"images_per_sec":10.0}"#;

    #[test]
    fn a_torn_tail_is_dropped_and_a_bad_middle_line_is_an_error() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("metrics.jsonl");
        assert!(read_metrics(&path).unwrap().is_empty());
        std::fs::write(&path, format!("{LINE}\n{{\"epo")).unwrap();
        assert_eq!(read_metrics(&path).unwrap().len(), 1);
        std::fs::write(&path, format!("{{\"epo\n{LINE}\n")).unwrap();
        let err = read_metrics(&path).unwrap_err().to_string();
        assert!(err.contains("line 1"), "{err}");
    }
}

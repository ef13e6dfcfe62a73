//! Running one side of a measurement as a child process and reading its JSON report (the last
//! stdout line that parses as a JSON object).

use std::process::Command;

use anyhow::{bail, Context, Result};
use serde_json::Value;

use crate::cmd;

/// Runs `command` to completion (stderr passes through) and returns its JSON report.
pub fn report(command: &mut Command) -> Result<Value> {
    let shown = cmd::display(command);
    let output = command
        .stderr(std::process::Stdio::inherit())
        .output()
        .with_context(|| format!("cannot start `{shown}`"))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        bail!(
            "`{shown}` failed ({}); its output:\n{stdout}",
            output.status
        );
    }
    last_json_object(&stdout).with_context(|| {
        format!("`{shown}` printed no JSON report on its last lines; its output:\n{stdout}")
    })
}

pub fn last_json_object(text: &str) -> Option<Value> {
    text.lines()
        .rev()
        .filter_map(|line| serde_json::from_str::<Value>(line.trim()).ok())
        .find(Value::is_object)
}

/// A number field of a report, with an error naming the field.
pub fn number(report: &Value, key: &str) -> Result<f64> {
    report[key]
        .as_f64()
        .with_context(|| format!("report field `{key}` is missing or not a number in {report}"))
}

/// A list of numbers.
pub fn numbers(report: &Value, key: &str) -> Result<Vec<f64>> {
    report[key]
        .as_array()
        .and_then(|items| items.iter().map(Value::as_f64).collect())
        .with_context(|| format!("report field `{key}` is not a list of numbers in {report}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_object_line_wins_over_logs() {
        let text = "loading...\n{\"a\": 1}\nwarning: x\n{\"a\": 2, \"l\": [1.5, 2]}\n\n";
        let report = last_json_object(text).unwrap();
        assert_eq!(number(&report, "a").unwrap(), 2.0);
        assert_eq!(numbers(&report, "l").unwrap(), [1.5, 2.0]);
        assert!(number(&report, "missing").is_err());
        assert!(last_json_object("no json\n[1, 2]\n").is_none());
    }
}

//! Running one side of a measurement as a child process and reading its JSON report (the last
//! stdout line that parses as a JSON object) into its type (bench/report.rs).

use std::process::Command;

use anyhow::{bail, Context, Result};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::cmd;

/// Runs `command` to completion (stderr passes through) and returns its JSON report.
pub fn report<R: DeserializeOwned>(command: &mut Command) -> Result<R> {
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
    let object = last_json_object(&stdout).with_context(|| {
        format!("`{shown}` printed no JSON report on its last lines; its output:\n{stdout}")
    })?;
    read(object).with_context(|| format!("reading the report of `{shown}`"))
}

/// `object` as the report type `R`; the error names the field and shows the report.
pub fn read<R: DeserializeOwned>(object: Value) -> Result<R> {
    let shown = object.to_string();
    serde_json::from_value(object).with_context(|| format!("unexpected report {shown}"))
}

pub fn last_json_object(text: &str) -> Option<Value> {
    text.lines()
        .rev()
        .filter_map(|line| serde_json::from_str::<Value>(line.trim()).ok())
        .find(Value::is_object)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    struct Toy {
        a: f64,
        l: Vec<f64>,
    }

    #[test]
    fn the_last_object_line_wins_over_logs() {
        let text = "loading...\n{\"a\": 1}\nwarning: x\n{\"a\": 2, \"l\": [1.5, 2]}\n\n";
        let toy: Toy = read(last_json_object(text).unwrap()).unwrap();
        assert_eq!((toy.a, toy.l), (2.0, vec![1.5, 2.0]));
        let err = read::<Toy>(last_json_object("{\"a\": 1}").unwrap()).unwrap_err();
        assert!(format!("{err:#}").contains("missing field `l`"), "{err:#}");
        assert!(last_json_object("no json\n[1, 2]\n").is_none());
    }
}

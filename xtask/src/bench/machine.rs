//! What the numbers were measured on: CPU, cores, memory, OS, library versions, BLAS settings.

use std::process::Command;

use serde_json::{json, Value};

/// Environment variables that change BLAS speed; recorded, never changed by the bench.
const BLAS_VARS: [&str; 5] = [
    "OPENBLAS_CORETYPE",
    "OPENBLAS_L2_SIZE",
    "OPENBLAS_NUM_THREADS",
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
];

pub fn facts(python: &std::path::Path) -> Value {
    let blas_env: serde_json::Map<String, Value> = BLAS_VARS
        .iter()
        .filter_map(|var| Some((var.to_string(), json!(std::env::var(var).ok()?))))
        .collect();
    json!({
        "cpu": cpu_model(),
        "logical_cores": std::thread::available_parallelism().map(|n| n.get()).ok(),
        "memory_total": proc_field("/proc/meminfo", "MemTotal"),
        "os": first_line(std::fs::read_to_string("/proc/version").ok()),
        "rustc": command_line(Command::new("rustc").arg("-V")),
        "system_openblas": command_line(
            Command::new("dpkg-query").args(["-W", "-f", "${Package} ${Version}", "libopenblas0-pthread"]),
        ),
        "python_stack": command_line(Command::new(python).args([
            "-c",
            "import sys, torch, numpy; print(f'python {sys.version.split()[0]}, torch {torch.__version__}, numpy {numpy.__version__}')",
        ])),
        "gpu": command_line(Command::new("nvidia-smi").args(["--query-gpu=name,driver_version", "--format=csv,noheader"])),
        "blas_environment": blas_env,
    })
}

fn cpu_model() -> Option<String> {
    proc_field("/proc/cpuinfo", "model name")
}

/// The value of the first `key: value` line of a /proc file.
fn proc_field(path: &str, key: &str) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    text.lines()
        .find(|line| line.split(':').next().is_some_and(|k| k.trim() == key))
        .and_then(|line| line.split_once(':'))
        .map(|(_, value)| value.trim().to_string())
}

fn first_line(text: Option<String>) -> Option<String> {
    text?.lines().next().map(str::to_string)
}

/// The first stdout line of a successful command (None when it is missing or fails).
fn command_line(command: &mut Command) -> Option<String> {
    let output = command.output().ok()?;
    if !output.status.success() {
        return None;
    }
    first_line(Some(String::from_utf8_lossy(&output.stdout).into_owned()))
        .filter(|line| !line.is_empty())
}

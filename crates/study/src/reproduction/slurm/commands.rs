//! Slurm's own commands: `sbatch` submits, `squeue` and `sacct` say how the jobs stand. Their
//! output is parsed by pure functions; a missing or failing command is an error that says so.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

/// Submits `script` (with `extra` sbatch options before it) and returns the job id.
pub fn sbatch(script: &Path, extra: &[String]) -> anyhow::Result<String> {
    let mut command = Command::new("sbatch");
    command.arg("--parsable").args(extra).arg(script);
    let stdout = run(&mut command)?;
    job_id_of(&stdout)
}

/// The job id in `sbatch --parsable`'s output: `1234` or `1234;cluster`.
pub fn job_id_of(stdout: &str) -> anyhow::Result<String> {
    let id = stdout
        .lines()
        .map(str::trim)
        .rfind(|l| !l.is_empty())
        .and_then(|line| line.split(';').next())
        .unwrap_or_default();
    anyhow::ensure!(
        !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()),
        "sbatch --parsable printed `{}` instead of a job id",
        stdout.trim()
    );
    Ok(id.to_string())
}

/// The state of each task of `job` still in the queue, by task id (`1234_5` or `1234`):
/// `PENDING (Dependency)`, `RUNNING`, ... An ended job is not listed (squeue forgets it).
pub fn queued_states(job: &str) -> anyhow::Result<BTreeMap<String, String>> {
    let mut command = Command::new("squeue");
    command.args(["--noheader", "--array", "--jobs", job, "--format=%i|%T|%r"]);
    match run(&mut command) {
        Ok(stdout) => Ok(parse_states(&stdout)),
        // squeue refuses the id of a job that has left the queue.
        Err(e) if e.to_string().contains("Invalid job id") => Ok(BTreeMap::new()),
        Err(e) => Err(e),
    }
}

/// The final state of each task of `job` from the accounting database (`COMPLETED`,
/// `FAILED`, ...); an error where accounting is not configured.
pub fn accounted_states(job: &str) -> anyhow::Result<BTreeMap<String, String>> {
    let mut command = Command::new("sacct");
    command.args([
        "--noheader",
        "--parsable2",
        "--allocations",
        "--jobs",
        job,
        "--format=JobID,State",
    ]);
    Ok(parse_states(&run(&mut command)?))
}

/// `id|STATE|reason` or `id|STATE` lines, by id; `None` and empty reasons are left out.
pub fn parse_states(stdout: &str) -> BTreeMap<String, String> {
    stdout
        .lines()
        .filter_map(|line| {
            let mut fields = line.trim().split('|');
            let id = fields.next().filter(|id| !id.is_empty())?;
            let state = fields.next().filter(|s| !s.is_empty())?;
            let text = match fields.next().map(str::trim) {
                Some(reason) if !reason.is_empty() && reason != "None" => {
                    format!("{state} ({reason})")
                }
                _ => state.to_string(),
            };
            Some((id.to_string(), text))
        })
        .collect()
}

fn run(command: &mut Command) -> anyhow::Result<String> {
    let program = command.get_program().to_string_lossy().into_owned();
    let output = command.output().map_err(|e| {
        anyhow::anyhow!(
            "cannot run `{program}` ({e}): run this on a Slurm login node, or without --slurm"
        )
    })?;
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    anyhow::ensure!(
        output.status.success(),
        "`{program}` failed ({}): {}",
        output.status,
        String::from_utf8_lossy(&output.stderr).trim()
    );
    Ok(stdout)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_job_id_of_a_parsable_submission() {
        assert_eq!(job_id_of("4242\n").unwrap(), "4242");
        assert_eq!(job_id_of("4242;cluster2\n").unwrap(), "4242");
        let err = job_id_of("Submitted batch job 12\n").unwrap_err();
        assert!(err.to_string().contains("Submitted batch job 12"), "{err}");
        assert!(job_id_of("").is_err());
    }

    #[test]
    fn parses_squeue_and_sacct_lines() {
        let states =
            parse_states("7_0|RUNNING|None\n7_3|PENDING|BeginTime\n8|PENDING|Dependency\n");
        assert_eq!(states["7_0"], "RUNNING");
        assert_eq!(states["7_3"], "PENDING (BeginTime)");
        assert_eq!(states["8"], "PENDING (Dependency)");
        let ended = parse_states("7_0|COMPLETED\n7_1|FAILED\n\n");
        assert_eq!(ended.len(), 2);
        assert_eq!(ended["7_1"], "FAILED");
    }
}

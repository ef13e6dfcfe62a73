//! The two batch scripts of a Slurm reproduction, pure functions of the plan: the job array
//! (one task per unfinished run, the task id being the run's index in the plan) and the report
//! job that runs once every task has ended.

use super::time_limit::TimeLimit;
use std::path::Path;

/// Seconds between Slurm's SIGTERM and the end of the time limit: time for the running step to
/// finish and the checkpoint to be written.
pub const TERM_GRACE_SECONDS: u32 = 60;

/// What each job asks Slurm for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JobResources {
    pub partition: Option<String>,
    pub account: Option<String>,
    /// The time limit of each array task (the report job keeps the partition's default).
    pub time: Option<TimeLimit>,
    /// GPUs of each array task (`--gres=gpu:N`); 0 asks for none.
    pub gpus_per_run: u32,
    /// CPUs of each array task; `None` leaves Slurm's default.
    pub cpus_per_run: Option<u32>,
    /// Further `#SBATCH` options for both jobs, as given (`--qos=long`, `--constraint=a100`).
    pub extra: Vec<String>,
}

/// What both scripts share.
#[derive(Debug, Clone)]
pub struct ScriptContext<'a> {
    /// `deepskip-<profile>`; the report job adds `-report`.
    pub job_name: String,
    /// The directory the command was given in: relative paths in its arguments stay valid.
    pub workdir: &'a Path,
    /// Where Slurm writes the jobs' output (`<results>/slurm/logs`).
    pub logs: &'a Path,
    /// The reproduction's command line: the deepskip executable, `reproduce` and its arguments.
    pub command: &'a [String],
}

/// The job array: task `i` trains and analyses run `i` of the plan. `--requeue` lets Slurm
/// restart a preempted task, which resumes from its checkpoint; the logs of every attempt are
/// appended to one file per task.
pub fn array_script(
    ctx: &ScriptContext<'_>,
    indices: &[usize],
    resources: &JobResources,
) -> anyhow::Result<String> {
    let mut options = vec![
        format!("--job-name={}", ctx.job_name),
        format!("--array={}", array_ranges(indices)),
        "--requeue".to_string(),
        format!("--signal=B:TERM@{TERM_GRACE_SECONDS}"),
        "--open-mode=append".to_string(),
        format!("--output={}", ctx.logs.join("%A_%a.out").display()),
        format!("--chdir={}", ctx.workdir.display()),
        "--ntasks=1".to_string(),
    ];
    options.extend(placement(resources));
    if let Some(time) = &resources.time {
        options.push(format!("--time={time}"));
    }
    if let Some(cpus) = resources.cpus_per_run {
        options.push(format!("--cpus-per-task={cpus}"));
    }
    if resources.gpus_per_run > 0 {
        options.push(format!("--gres=gpu:{}", resources.gpus_per_run));
    }
    options.extend(resources.extra.iter().cloned());
    let why = [
        "One task per unfinished run of the plan; the task id is the run's index in the plan",
        "(slurm/submission.json lists them). exec: Slurm's SIGTERM (preemption, scontrol",
        "requeue, the time limit near) reaches deepskip itself, which checkpoints and exits;",
        "the requeued task resumes from that checkpoint.",
    ];
    let exec = format!(
        "exec {} --only-run \"$SLURM_ARRAY_TASK_ID\"",
        quoted(ctx.command)?
    );
    Ok(script(&options, &why, &exec))
}

/// The report job: the same reproduction with `--report-only`, which writes `summary.json`,
/// the tables, the figures and report.html from the run directories (failed runs with their
/// reason). Submitted with `--dependency=afterany:<array>`, so it runs whatever the tasks did.
pub fn report_script(ctx: &ScriptContext<'_>, resources: &JobResources) -> anyhow::Result<String> {
    let mut options = vec![
        format!("--job-name={}-report", ctx.job_name),
        format!("--output={}", ctx.logs.join("report-%j.out").display()),
        format!("--chdir={}", ctx.workdir.display()),
        "--ntasks=1".to_string(),
    ];
    options.extend(placement(resources));
    options.extend(resources.extra.iter().cloned());
    let why = ["The tables, figures and report once every array task has ended."];
    let exec = format!("exec {} --report-only", quoted(ctx.command)?);
    Ok(script(&options, &why, &exec))
}

/// The `sbatch` command line that submits the report job after the array `array_job`.
pub fn report_dependency(array_job: &str) -> String {
    format!("--dependency=afterany:{array_job}")
}

fn placement(resources: &JobResources) -> Vec<String> {
    let mut options = Vec::new();
    if let Some(partition) = &resources.partition {
        options.push(format!("--partition={partition}"));
    }
    if let Some(account) = &resources.account {
        options.push(format!("--account={account}"));
    }
    options
}

fn script(options: &[String], why: &[&str], exec: &str) -> String {
    let mut text = String::from("#!/bin/bash\n# Written by `deepskip reproduce --slurm`.\n");
    for option in options {
        text.push_str(&format!("#SBATCH {option}\n"));
    }
    for line in why {
        text.push_str(&format!("# {line}\n"));
    }
    text.push_str(exec);
    text.push('\n');
    text
}

/// `words` quoted for bash.
fn quoted(words: &[String]) -> anyhow::Result<String> {
    shlex::try_join(words.iter().map(String::as_str))
        .map_err(|e| anyhow::anyhow!("an argument cannot be written into a batch script: {e}"))
}

/// Sorted indices as Slurm's array syntax: `[0, 1, 2, 5]` is `0-2,5`.
pub fn array_ranges(indices: &[usize]) -> String {
    let mut sorted = indices.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let mut ranges: Vec<(usize, usize)> = Vec::new();
    for index in sorted {
        match ranges.last_mut() {
            Some((_, end)) if *end + 1 == index => *end = index,
            _ => ranges.push((index, index)),
        }
    }
    ranges
        .iter()
        .map(|&(start, end)| {
            if start == end {
                start.to_string()
            } else {
                format!("{start}-{end}")
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn command() -> Vec<String> {
        [
            "/opt/deepskip",
            "reproduce",
            "--profile",
            "toy",
            "--out",
            "/r/my results",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    }

    fn context<'a>(command: &'a [String]) -> ScriptContext<'a> {
        ScriptContext {
            job_name: "deepskip-toy".into(),
            workdir: Path::new("/home/me"),
            logs: Path::new("/r/slurm/logs"),
            command,
        }
    }

    fn sbatch_lines(script: &str) -> Vec<&str> {
        script
            .lines()
            .filter_map(|l| l.strip_prefix("#SBATCH "))
            .collect()
    }

    #[test]
    fn array_ranges_compress_consecutive_indices() {
        assert_eq!(array_ranges(&[5, 0, 1, 2, 7, 8]), "0-2,5,7-8");
        assert_eq!(array_ranges(&[3]), "3");
    }

    #[test]
    fn the_array_runs_one_planned_run_per_task_with_requeue_and_a_checkpoint_signal() {
        let command = command();
        let resources = JobResources {
            partition: Some("gpu".into()),
            account: Some("proj42".into()),
            time: Some("2-00:00:00".parse().unwrap()),
            gpus_per_run: 1,
            cpus_per_run: Some(8),
            extra: vec!["--qos=long".into()],
        };
        let script = array_script(&context(&command), &[0, 2, 3], &resources).unwrap();
        assert!(script.starts_with("#!/bin/bash\n"), "{script}");
        let lines = sbatch_lines(&script);
        for expected in [
            "--job-name=deepskip-toy",
            "--array=0,2-3",
            "--requeue",
            "--signal=B:TERM@60",
            "--open-mode=append",
            "--output=/r/slurm/logs/%A_%a.out",
            "--chdir=/home/me",
            "--partition=gpu",
            "--account=proj42",
            "--time=2-00:00:00",
            "--cpus-per-task=8",
            "--gres=gpu:1",
            "--qos=long",
        ] {
            assert!(lines.contains(&expected), "{expected} missing:\n{script}");
        }
        let last = script.lines().last().unwrap();
        assert_eq!(
            last,
            "exec /opt/deepskip reproduce --profile toy --out '/r/my results' \
             --only-run \"$SLURM_ARRAY_TASK_ID\""
        );
    }

    #[test]
    fn a_cpu_array_asks_for_no_gpu_and_leaves_unset_limits_to_slurm() {
        let command = command();
        let script = array_script(&context(&command), &[0], &JobResources::default()).unwrap();
        let lines = sbatch_lines(&script);
        assert!(
            !lines
                .iter()
                .any(|l| l.starts_with("--gres") || l.starts_with("--time")),
            "{script}"
        );
        assert!(!lines.iter().any(|l| l.starts_with("--partition")));
    }

    #[test]
    fn the_report_job_runs_the_same_command_report_only_without_the_tasks_resources() {
        let command = command();
        let resources = JobResources {
            partition: Some("gpu".into()),
            gpus_per_run: 2,
            time: Some("90".parse().unwrap()),
            ..JobResources::default()
        };
        let script = report_script(&context(&command), &resources).unwrap();
        let lines = sbatch_lines(&script);
        assert!(
            lines.contains(&"--job-name=deepskip-toy-report"),
            "{script}"
        );
        assert!(lines.contains(&"--output=/r/slurm/logs/report-%j.out"));
        assert!(lines.contains(&"--partition=gpu"));
        assert!(!lines.iter().any(|l| l.starts_with("--gres")
            || l.starts_with("--array")
            || l.starts_with("--time")));
        assert!(script.trim_end().ends_with(
            "exec /opt/deepskip reproduce --profile toy --out '/r/my results' --report-only"
        ));
        assert_eq!(report_dependency("4242"), "--dependency=afterany:4242");
    }
}

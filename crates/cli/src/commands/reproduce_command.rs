//! The `deepskip reproduce` command line a Slurm job runs: the submission's own options, so
//! that every task plans exactly the same runs, with absolute paths (jobs start elsewhere).

use deepskip_study::reproduction::ReproductionOptions;
use std::path::Path;

/// `<exe> reproduce ...` planning the runs of `options` (whose paths are already absolute or
/// relative to the job's working directory). `--force` is left out: the submission moved the
/// old runs aside once; a requeued task must resume its own run, not move it aside again.
pub fn reproduce_command(exe: &Path, options: &ReproductionOptions) -> Vec<String> {
    let mut args = vec![
        exe.display().to_string(),
        "reproduce".into(),
        "--profile".into(),
        options.profile.name().into(),
        "--datasets".into(),
        options
            .datasets
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(","),
    ];
    if !options.models.is_empty() {
        args.extend(["--models".into(), options.models.join(",")]);
    }
    args.extend([
        "--device".into(),
        options.device.to_string(),
        "--seeds".into(),
        options.seeds.to_string(),
        "--out".into(),
        options.out.display().to_string(),
    ]);
    if let Some(dir) = &options.imagenet {
        args.extend(["--imagenet".into(), dir.display().to_string()]);
    }
    if let Some(dir) = &options.data_dir {
        args.extend(["--data-dir".into(), dir.display().to_string()]);
    }
    if options.allow_cpu {
        args.push("--allow-cpu".into());
    }
    args
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::Cli;
    use crate::commands::Command;
    use clap::Parser;

    #[test]
    fn the_task_command_parses_back_into_the_same_plan_options() {
        let given = Cli::parse_from([
            "deepskip",
            "reproduce",
            "--profile",
            "toy",
            "--datasets",
            "mnist,idx:digits",
            "--models",
            "resnet-20",
            "--device",
            "cuda:1",
            "--seeds",
            "2",
            "--out",
            "/r/out",
            "--data-dir",
            "/data",
            "--allow-cpu",
            "--force",
            "--slurm",
        ]);
        let Command::Reproduce(args) = given.command else {
            panic!("a reproduce command");
        };
        let options = args.options();
        let command = reproduce_command(Path::new("/bin/deepskip"), &options);
        assert_eq!(command[0], "/bin/deepskip");
        assert!(!command.contains(&"--force".to_string()), "{command:?}");
        let again = Cli::parse_from(&command);
        let Command::Reproduce(again) = again.command else {
            panic!("a reproduce command");
        };
        let again = again.options();
        assert_eq!(again.profile, options.profile);
        assert_eq!(again.datasets, options.datasets);
        assert_eq!(again.models, options.models);
        assert_eq!(again.device, options.device);
        assert_eq!(again.seeds, options.seeds);
        assert_eq!(again.out, options.out);
        assert_eq!(again.data_dir, options.data_dir);
        assert!(again.allow_cpu && !again.force);
    }
}

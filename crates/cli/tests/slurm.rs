//! Against a real Slurm: a single-node cluster from Debian's slurm-wlm and munge (started here
//! with its own slurm.conf in a temporary directory) runs a toy reproduction submitted with
//! `--slurm`; its tables equal those of the same reproduction run locally, a second submission
//! submits no finished run, and a task requeued while it trains resumes from its checkpoint.
//!
//! Skipped, with the reason, where the daemons are not installed (`cargo xtask setup` installs
//! them as root) or cannot be started (not root). The daemons are stopped by their process
//! ids when the test ends, also when it fails.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

mod support;

/// Longest wait for a submission's jobs to end (the toy runs take seconds each).
const JOB_TIMEOUT: Duration = Duration::from_secs(600);

/// A single-node Slurm cluster (munged, slurmctld, slurmd) that lives as long as this value.
struct Cluster {
    dir: tempfile::TempDir,
    conf: PathBuf,
    /// The daemons, in the order they are stopped.
    daemons: Vec<(&'static str, Child)>,
}

impl Cluster {
    /// Starts the cluster, or says why it cannot run here.
    fn start() -> Result<Cluster, String> {
        let programs = [
            "munged",
            "mungekey",
            "setpriv",
            "slurmctld",
            "slurmd",
            "sbatch",
            "scontrol",
        ];
        for program in programs {
            if !installed(program) {
                return Err(format!(
                    "{program} is not installed (`cargo xtask setup` installs slurm-wlm and \
                     munge as root; or `sudo apt-get install -y slurm-wlm munge`)"
                ));
            }
        }
        if !is_root() {
            return Err("slurmd must start as root to run jobs".into());
        }
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let mut cluster = Cluster {
            conf: dir.path().join("slurm.conf"),
            dir,
            daemons: Vec::new(),
        };
        cluster.start_munged()?;
        let host = short_hostname()?;
        cluster.write_conf(&host)?;
        for (name, args) in [
            ("slurmctld", vec!["-D"]),
            ("slurmd", vec!["-D", "-N", host.as_str()]),
        ] {
            let log = fs::File::create(cluster.path(&format!("{name}.out")))
                .map_err(|e| e.to_string())?;
            let child = Command::new(name)
                .args(&args)
                .env("SLURM_CONF", &cluster.conf)
                .stdout(Stdio::from(log.try_clone().map_err(|e| e.to_string())?))
                .stderr(Stdio::from(log))
                .spawn()
                .map_err(|e| format!("starting {name}: {e}"))?;
            cluster.daemons.insert(0, (name, child));
        }
        cluster.wait_for_idle_node()?;
        Ok(cluster)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// munged as the munge user, with its key, socket and logs in the cluster's directory.
    fn start_munged(&mut self) -> Result<(), String> {
        use std::os::unix::fs::PermissionsExt;
        let munge = self.path("munge");
        fs::create_dir_all(&munge).map_err(|e| e.to_string())?;
        // munged (another user) must reach its directory inside the temporary one.
        fs::set_permissions(self.dir.path(), fs::Permissions::from_mode(0o755))
            .map_err(|e| e.to_string())?;
        let key = munge.join("munge.key");
        let created = Command::new("mungekey")
            .arg("--create")
            .arg(format!("--keyfile={}", key.display()))
            .output()
            .map_err(|e| e.to_string())?;
        if !created.status.success() {
            return Err(format!("mungekey failed: {}", text(&created.stderr)));
        }
        let (uid, gid) = (id_of("-u")?, id_of("-g")?);
        for path in [&munge, &key] {
            std::os::unix::fs::chown(path, Some(uid), Some(gid)).map_err(|e| e.to_string())?;
        }
        let child = Command::new("setpriv")
            .arg(format!("--reuid={uid}"))
            .arg(format!("--regid={gid}"))
            .arg("--clear-groups")
            .arg("munged")
            .arg("--foreground")
            .arg(format!("--socket={}", self.munge_socket().display()))
            .arg(format!("--key-file={}", key.display()))
            .arg(format!("--pid-file={}", munge.join("munged.pid").display()))
            .arg(format!("--log-file={}", munge.join("munged.log").display()))
            .arg(format!(
                "--seed-file={}",
                munge.join("munged.seed").display()
            ))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("starting munged: {e}"))?;
        self.daemons.push(("munged", child));
        wait_until(Duration::from_secs(20), || self.munge_socket().exists())
            .map_err(|_| format!("munged did not start: {}", self.log("munge/munged.log")))
    }

    fn munge_socket(&self) -> PathBuf {
        self.path("munge/munge.socket")
    }

    fn write_conf(&self, host: &str) -> Result<(), String> {
        let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
        let (ctld_port, slurmd_port) = (free_port()?, free_port()?);
        let dir = self.dir.path().display();
        let conf = format!(
            "ClusterName=deepskiptest\n\
             SlurmctldHost={host}(127.0.0.1)\n\
             SlurmctldPort={ctld_port}\n\
             SlurmdPort={slurmd_port}\n\
             SlurmUser=root\n\
             SlurmdUser=root\n\
             AuthType=auth/munge\n\
             AuthInfo=socket={socket}\n\
             StateSaveLocation={dir}/state\n\
             SlurmdSpoolDir={dir}/spool\n\
             SlurmctldPidFile={dir}/slurmctld.pid\n\
             SlurmdPidFile={dir}/slurmd.pid\n\
             SlurmctldLogFile={dir}/slurmctld.log\n\
             SlurmdLogFile={dir}/slurmd.log\n\
             ProctrackType=proctrack/linuxproc\n\
             TaskPlugin=task/none\n\
             SelectType=select/cons_tres\n\
             SelectTypeParameters=CR_Core\n\
             MpiDefault=none\n\
             ReturnToService=2\n\
             SchedulerType=sched/backfill\n\
             AccountingStorageType=accounting_storage/none\n\
             JobAcctGatherType=jobacct_gather/none\n\
             JobCompType=jobcomp/none\n\
             MailProg=/bin/true\n\
             NodeName={host} NodeAddr=127.0.0.1 CPUs={cpus} State=UNKNOWN\n\
             PartitionName=debug Nodes={host} Default=YES MaxTime=INFINITE State=UP\n",
            socket = self.munge_socket().display(),
        );
        for sub in ["state", "spool"] {
            fs::create_dir_all(self.path(sub)).map_err(|e| e.to_string())?;
        }
        fs::write(&self.conf, conf).map_err(|e| e.to_string())
    }

    fn wait_for_idle_node(&mut self) -> Result<(), String> {
        let idle = wait_until(Duration::from_secs(60), || {
            self.slurm("sinfo", &["--noheader", "--format=%t"])
                .is_ok_and(|out| text(&out.stdout).trim() == "idle")
        });
        match (idle, self.exited_daemon()) {
            (Ok(()), None) => Ok(()),
            (_, Some(name)) => Err(format!(
                "{name} exited: {}",
                self.log(&format!("{name}.log"))
            )),
            (Err(_), None) => Err(format!(
                "the node did not become idle: {}",
                self.log("slurmd.log")
            )),
        }
    }

    fn exited_daemon(&mut self) -> Option<&'static str> {
        self.daemons
            .iter_mut()
            .find_map(|(name, child)| (!matches!(child.try_wait(), Ok(None))).then_some(*name))
    }

    fn log(&self, name: &str) -> String {
        let log = fs::read_to_string(self.path(name)).unwrap_or_default();
        let tail: Vec<&str> = log.lines().rev().take(15).collect();
        tail.into_iter().rev().collect::<Vec<_>>().join("\n")
    }

    /// A Slurm client command against this cluster.
    fn slurm(&self, program: &str, args: &[&str]) -> std::io::Result<Output> {
        Command::new(program)
            .args(args)
            .env("SLURM_CONF", &self.conf)
            .output()
    }

    /// Waits until none of `jobs` is pending or running any more.
    fn wait_for_jobs(&self, jobs: &[&str]) {
        let list = jobs.join(",");
        let ended = wait_until(JOB_TIMEOUT, || {
            self.slurm("squeue", &["--noheader", "--jobs", &list])
                .is_ok_and(|out| text(&out.stdout).trim().is_empty())
        });
        assert!(
            ended.is_ok(),
            "jobs {list} still queued after {JOB_TIMEOUT:?}: {}",
            self.log("slurmctld.log")
        );
    }

    /// Cancels every job, then stops the daemons by their process ids (SIGTERM, then SIGKILL
    /// after ten seconds) and reaps them.
    fn stop(&mut self) {
        if self.daemons.is_empty() {
            return;
        }
        let _ = self.slurm("scancel", &["--user=root"]);
        let _ = wait_until(Duration::from_secs(30), || {
            self.slurm("squeue", &["--noheader"])
                .map_or(true, |out| text(&out.stdout).trim().is_empty())
        });
        for (_, child) in &mut self.daemons {
            let _ = Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status();
            let stopped = wait_until(Duration::from_secs(10), || {
                !matches!(child.try_wait(), Ok(None))
            });
            if stopped.is_err() {
                let _ = child.kill();
                let _ = child.wait();
            }
        }
        self.daemons.clear();
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.stop();
    }
}

fn installed(program: &str) -> bool {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/sbin"), PathBuf::from("/sbin")])
        .any(|dir| dir.join(program).is_file())
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| text(&out.stdout).trim() == "0")
}

fn id_of(flag: &str) -> Result<u32, String> {
    let out = Command::new("id")
        .args([flag, "munge"])
        .output()
        .map_err(|e| e.to_string())?;
    text(&out.stdout)
        .trim()
        .parse()
        .map_err(|_| "no munge user (the munge package creates it)".to_string())
}

fn short_hostname() -> Result<String, String> {
    let out = Command::new("hostname")
        .arg("-s")
        .output()
        .map_err(|e| e.to_string())?;
    let host = text(&out.stdout).trim().to_string();
    if host.is_empty() {
        return Err("hostname -s printed nothing".into());
    }
    Ok(host)
}

/// A TCP port nothing listens on now.
fn free_port() -> Result<u16, String> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| e.to_string())
}

fn wait_until(timeout: Duration, mut done: impl FnMut() -> bool) -> Result<(), ()> {
    let start = Instant::now();
    while start.elapsed() < timeout {
        if done() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Err(())
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `deepskip reproduce --profile toy` on the IDX data set in `data`, into `out`.
fn reproduce(cluster: &Cluster, data: &Path, out: &Path, extra: &[&str]) -> Output {
    let output = Command::new(env!("CARGO_BIN_EXE_deepskip"))
        .args(["reproduce", "--profile", "toy", "--device", "cpu"])
        .arg(format!("--datasets=idx:{}", data.display()))
        .arg("--out")
        .arg(out)
        .arg("--data-dir")
        .arg(out.join("no-data-here"))
        .args(extra)
        .env("SLURM_CONF", &cluster.conf)
        .env_remove("DEEPSKIP_DATA_MIRROR")
        .env("DEEPSKIP_OFFLINE", "1")
        .output()
        .expect("the deepskip binary runs");
    assert!(
        output.status.success(),
        "deepskip reproduce {extra:?} failed:\nstdout:\n{}\nstderr:\n{}",
        text(&output.stdout),
        text(&output.stderr)
    );
    output
}

#[derive(Debug, serde::Deserialize)]
struct Submission {
    array_job: Option<String>,
    report_job: String,
}

fn submission(out: &Path) -> Submission {
    let path = out.join("slurm/submission.json");
    serde_json::from_str(&fs::read_to_string(&path).unwrap()).unwrap()
}

/// Submits with `--slurm` and waits for every job of the submission to end.
fn submit_and_wait(cluster: &Cluster, data: &Path, out: &Path, extra: &[&str]) -> Submission {
    let mut args = vec!["--slurm", "--cpus-per-run", "1"];
    args.extend_from_slice(extra);
    let submitted = reproduce(cluster, data, out, &args);
    let sub = submission(out);
    let stdout = text(&submitted.stdout);
    assert!(stdout.contains(&sub.report_job), "{stdout}");
    let mut jobs = vec![sub.report_job.as_str()];
    jobs.extend(sub.array_job.as_deref());
    cluster.wait_for_jobs(&jobs);
    sub
}

fn table_csvs(out: &Path) -> Vec<(String, String)> {
    (1..=4)
        .map(|n| {
            let name = format!("table_{n}.csv");
            let body = fs::read_to_string(out.join(&name))
                .unwrap_or_else(|e| panic!("{}: {e}", out.join(&name).display()));
            (name, body)
        })
        .collect()
}

fn logs(out: &Path) -> String {
    let mut all = String::new();
    for entry in fs::read_dir(out.join("slurm/logs")).into_iter().flatten() {
        let path = entry.unwrap().path();
        all.push_str(&format!("--- {}\n", path.display()));
        all.push_str(&fs::read_to_string(&path).unwrap_or_default());
    }
    all
}

#[test]
fn a_toy_reproduction_on_a_real_slurm_matches_the_local_one_and_resumes_when_requeued() {
    let started = Instant::now();
    let mut cluster = match Cluster::start() {
        Ok(cluster) => cluster,
        Err(reason) => {
            eprintln!("skipped: the Slurm test needs a local Slurm: {reason}");
            return;
        }
    };
    let up = started.elapsed();
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("digits");
    support::write_idx_data_set(&data, 8, 4);

    let local = tmp.path().join("local");
    reproduce(&cluster, &data, &local, &[]);

    let on_slurm = tmp.path().join("slurm");
    let dry = reproduce(&cluster, &data, &on_slurm, &["--slurm", "--dry-run"]);
    let dry = text(&dry.stdout);
    assert!(dry.contains("#SBATCH --array=0-2\n"), "{dry}");
    assert!(dry.contains("--dependency=afterany:"), "{dry}");
    assert!(!on_slurm.join("slurm/submission.json").exists());

    let submit_time = Instant::now();
    let first = submit_and_wait(&cluster, &data, &on_slurm, &[]);
    let submit_to_report = submit_time.elapsed();
    assert!(first.array_job.is_some());
    assert!(
        on_slurm.join("report.html").is_file(),
        "no report: {}",
        logs(&on_slurm)
    );
    assert_eq!(
        table_csvs(&on_slurm),
        table_csvs(&local),
        "the tables of the Slurm reproduction differ from the local ones:\n{}",
        logs(&on_slurm)
    );

    let again = submit_and_wait(&cluster, &data, &on_slurm, &[]);
    assert_eq!(again.array_job, None, "finished runs were submitted again");
    assert_ne!(again.report_job, first.report_job);

    let requeued = tmp.path().join("requeued");
    requeue_while_training(&cluster, &data, &requeued);

    cluster.stop();
    assert_nothing_left_running(&[cluster.dir.path(), tmp.path()]);
    eprintln!(
        "slurm test: cluster up in {:.1} s, toy submission to report in {:.1} s, {:.1} s in all",
        up.as_secs_f64(),
        submit_to_report.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
}

/// Submits one deeper model, requeues its task once its training has started (Slurm sends
/// SIGTERM, then restarts the task), and checks that the restarted task resumed from the
/// checkpoint: every epoch appears once in its metrics.
fn requeue_while_training(cluster: &Cluster, data: &Path, out: &Path) {
    // Deep enough that a toy epoch takes seconds: the requeue lands while it trains.
    reproduce(
        cluster,
        data,
        out,
        &["--models", "resnet-302", "--slurm", "--cpus-per-run", "1"],
    );
    let sub = submission(out);
    let array = sub.array_job.clone().expect("an array");
    let task = format!("{array}_0");
    let run_dir = out.join("runs/idx-digits/resnet-302-s0");
    let training = wait_until(JOB_TIMEOUT, || {
        fs::read_to_string(run_dir.join("status.json")).is_ok_and(|s| s.contains("running"))
    });
    assert!(training.is_ok(), "training never started: {}", logs(out));
    let requeue = cluster.slurm("scontrol", &["requeue", &task]).unwrap();
    assert!(requeue.status.success(), "{}", text(&requeue.stderr));
    // A requeued job waits (BeginTime) before it may start again; let it start now.
    let restarted = wait_until(JOB_TIMEOUT, || {
        let _ = cluster.slurm(
            "scontrol",
            &["update", &format!("JobId={task}"), "StartTime=now"],
        );
        logs(out).contains("resuming on cpu")
    });
    assert!(
        restarted.is_ok(),
        "the task was not restarted: {}",
        logs(out)
    );
    cluster.wait_for_jobs(&[&array, &sub.report_job]);

    let log = logs(out);
    assert!(
        log.contains("interrupted"),
        "no interruption in the log:\n{log}"
    );
    assert!(
        log.contains("resuming on cpu"),
        "the task did not resume:\n{log}"
    );
    let metrics = fs::read_to_string(run_dir.join("metrics.jsonl")).unwrap();
    let epochs: Vec<u64> = metrics
        .lines()
        .map(|line| {
            serde_json::from_str::<serde_json::Value>(line).unwrap()["epoch"]
                .as_u64()
                .unwrap()
        })
        .collect();
    assert_eq!(epochs, [1, 2], "each epoch once:\n{metrics}\n{log}");
    let status = fs::read_to_string(run_dir.join("status.json")).unwrap();
    assert!(status.contains("finished"), "{status}");
    assert!(out.join("report.html").is_file(), "{log}");
}

/// No process still has one of `dirs` on its command line (the jobs' deepskip processes do).
fn assert_nothing_left_running(dirs: &[&Path]) {
    let me = std::process::id().to_string();
    let mut left = Vec::new();
    for entry in fs::read_dir("/proc").unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.bytes().all(|b| b.is_ascii_digit()) || name == me {
            continue;
        }
        let cmdline = fs::read(entry.path().join("cmdline")).unwrap_or_default();
        let cmdline = text(&cmdline).replace('\0', " ");
        if dirs
            .iter()
            .any(|dir| cmdline.contains(&dir.display().to_string()))
        {
            left.push(format!("{name}: {cmdline}"));
        }
    }
    assert!(left.is_empty(), "still running: {left:#?}");
}

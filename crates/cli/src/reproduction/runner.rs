//! Runs the plan: each run is trained (or resumed, or found done) and analysed on one device of
//! the pool; then `summary.json` and the report are written.

use super::data_cache::DataCache;
use super::device::{device_name, DevicePool};
use super::plan::PlannedRun;
use super::run_data::RunData;
use super::run_record::{decide, move_aside, read_status, RunAction, RunRecord};
use super::summary::{exit_status, render_summary, summarize, write_summary, RunOutcome};
use super::{imagenet, slurm, steps, studies, test_evaluation, ReproductionOptions, RunScope};
use deepskip_models::{BnStats, Precision};
use deepskip_report::schema::{RunState, RunSummary};
use deepskip_report::ProfileDescription;
use deepskip_train::TrainConfig;
use std::collections::VecDeque;
use std::path::Path;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// What every run shares: where results go, the data, the interrupt flag.
#[derive(Debug)]
struct RunContext<'a> {
    results_dir: &'a Path,
    force: bool,
    data: &'a DataCache,
    /// `--imagenet`: the root of the ImageNet folders, for Table IV's runs.
    imagenet: Option<&'a Path>,
    interrupt: Arc<AtomicBool>,
    total: usize,
    scope: RunScope,
    precision: Precision,
    bn_stats: BnStats,
    tolerance: deepskip_spectra::Tolerance,
    view: crate::analysis::RepresentationView,
}

/// Trains and analyses every run, then writes `summary.json` and the report.
pub fn run_reproduction(
    options: &ReproductionOptions,
    pool: &DevicePool,
    runs: &[PlannedRun],
    description: &ProfileDescription,
) -> anyhow::Result<ExitCode> {
    std::fs::create_dir_all(&options.out).map_err(|e| {
        anyhow::anyhow!(
            "cannot create results directory {}: {e}",
            options.out.display()
        )
    })?;
    let started = Instant::now();
    let interrupt = crate::interrupt::interrupt_flag();
    let datasets = datasets_in_scope(options, runs);
    let data = DataCache::obtain(&datasets, options.data_dir.clone(), options.profile);
    // The studies' runs train side by side with the paper's; the paper's come first.
    let study_plan = match options.scope {
        RunScope::All => studies::plan_studies(
            options.studies,
            options.profile,
            &options.datasets,
            options.seeds,
        ),
        RunScope::One(_) | RunScope::ReportOnly => Vec::new(),
    };
    let all_runs: Vec<PlannedRun> = runs
        .iter()
        .cloned()
        .chain(studies::extra_runs(runs, &study_plan))
        .collect();
    let ctx = RunContext {
        results_dir: &options.out,
        force: options.force,
        data: &data,
        imagenet: options.imagenet.as_deref(),
        interrupt,
        total: all_runs.len(),
        scope: options.scope,
        precision: options.precision,
        bn_stats: options.bn_stats,
        tolerance: options.tolerance,
        view: options.view,
    };
    if let RunScope::One(index) = options.scope {
        return run_one(&ctx, pool, runs, index);
    }
    let outcomes = run_on_pool(&ctx, pool, &all_runs);

    let every_summary: Vec<RunSummary> = all_runs
        .iter()
        .zip(&outcomes)
        .map(|(run, outcome)| summarize(run, outcome, data.param_count(run), &options.out))
        .collect();
    let mut summaries = every_summary[..runs.len()].to_vec();
    summaries.extend(imagenet::table_iv_rows(options));
    write_summary(&options.out, &summaries)?;
    let study_records = studies::study_records(&study_plan, &all_runs, &every_summary);
    if !study_records.is_empty() {
        crate::atomic_file::write_json(
            &options.out.join(deepskip_report::studies::STUDIES_FILE),
            &study_records,
        )?;
    }
    let report = deepskip_report::write_report(&options.out, description);
    let shown: Vec<RunSummary> = summaries
        .iter()
        .chain(&every_summary[runs.len()..])
        .cloned()
        .collect();
    let summary_text = render_summary(&shown, &description.one_line());
    println!("{summary_text}");
    let mut status = exit_status(&outcomes);
    match report {
        Ok(_) => println!("Report: {}", options.out.join("report.html").display()),
        Err(e) => {
            eprintln!(
                "error: writing the report in {} failed: {e}",
                options.out.display()
            );
            status = ExitCode::FAILURE;
        }
    }
    println!("Total wall time: {:.0} s", started.elapsed().as_secs_f64());
    Ok(status)
}

/// The data sets this invocation needs: a Slurm task loads only its run's.
fn datasets_in_scope(options: &ReproductionOptions, runs: &[PlannedRun]) -> Vec<String> {
    match options.scope {
        RunScope::One(index) => options
            .datasets
            .iter()
            .filter(|d| runs.get(index).is_some_and(|run| &run.dataset == *d))
            .cloned()
            .collect(),
        RunScope::All | RunScope::ReportOnly => options.datasets.clone(),
    }
}

/// One Slurm array task: the run at `index`, its outcome recorded for the report job.
fn run_one(
    ctx: &RunContext<'_>,
    pool: &DevicePool,
    runs: &[PlannedRun],
    index: usize,
) -> anyhow::Result<ExitCode> {
    let run = runs.get(index).ok_or_else(|| {
        anyhow::anyhow!(
            "run {index} is not in this plan of {} runs: the task's arguments differ from the \
             submission's; submit again with --slurm",
            runs.len()
        )
    })?;
    let outcome = execute(ctx, index, run, pool.devices[0], None);
    slurm::outcome::record(ctx.results_dir, run, &outcome)?;
    Ok(exit_status(std::slice::from_ref(&outcome)))
}

/// One worker per device takes the next run from a shared queue, so `--jobs N` keeps N GPUs
/// busy; the outcomes come back in plan order.
fn run_on_pool(ctx: &RunContext<'_>, pool: &DevicePool, runs: &[PlannedRun]) -> Vec<RunOutcome> {
    let queue: Mutex<VecDeque<usize>> = Mutex::new((0..runs.len()).collect());
    let outcomes: Mutex<Vec<Option<RunOutcome>>> = Mutex::new(vec![None; runs.len()]);
    // Several runs at once share the terminal: one bar line each.
    let bars = (pool.devices.len() > 1).then(indicatif::MultiProgress::new);
    std::thread::scope(|scope| {
        for &device in &pool.devices {
            let (queue, outcomes, bars) = (&queue, &outcomes, bars.as_ref());
            scope.spawn(move || {
                while let Some(index) = next_run(queue) {
                    let outcome = execute(ctx, index, &runs[index], device, bars);
                    if let Ok(mut all) = outcomes.lock() {
                        all[index] = Some(outcome);
                    }
                }
            });
        }
    });
    let device = device_name(pool.devices[0]);
    outcomes
        .into_inner()
        .unwrap_or_default()
        .into_iter()
        .map(|o| {
            o.unwrap_or(RunOutcome::Interrupted {
                device: device.clone(),
            })
        })
        .collect()
}

/// The next run to start; the queue's lock is released before the run starts.
fn next_run(queue: &Mutex<VecDeque<usize>>) -> Option<usize> {
    queue.lock().ok().and_then(|mut q| q.pop_front())
}

/// One run: skip if done, otherwise train (fresh or resumed) and analyse, printing a line at
/// its start and its end.
fn execute(
    ctx: &RunContext<'_>,
    index: usize,
    run: &PlannedRun,
    device: tch::Device,
    bars: Option<&indicatif::MultiProgress>,
) -> RunOutcome {
    let name = device_name(device);
    let tag = format!("[{}/{}] {}", index + 1, ctx.total, run.label());
    let data = match RunData::lookup(ctx.data, ctx.imagenet, &run.dataset) {
        Ok(data) => data,
        Err(reason) => {
            let first_line = reason.lines().next().unwrap_or_default();
            say(bars, format!("{tag}: skipped ({first_line})"));
            return RunOutcome::Skipped { reason };
        }
    };
    if ctx.interrupt.load(Ordering::SeqCst) {
        return RunOutcome::Interrupted { device: name };
    }
    let run_dir = ctx.results_dir.join(run.rel_dir());
    let config = TrainConfig {
        precision: ctx.precision,
        bn_stats: ctx.bn_stats,
        ..data.train_config(run, &name)
    };
    let hash = run.config_hash();
    let action = decide(&run_dir, &hash, ctx.force, |path| {
        deepskip_train::RunDir::new(path.parent().unwrap_or(path))
            .read_config()
            .ok()
            .and_then(|on_disk| config.run_difference(&on_disk))
    });
    if ctx.scope == RunScope::ReportOnly {
        let done = (action == RunAction::Done)
            .then(|| read_status(&run_dir).map_or(RunState::Finished, |s| s.state));
        let outcome = slurm::outcome::for_report(ctx.results_dir, run, done);
        say(
            bars,
            format!("{tag}: {}", slurm::outcome::describe(&outcome)),
        );
        return outcome;
    }
    let started = Instant::now();
    let result = (|| -> anyhow::Result<RunOutcome> {
        let resume = match &action {
            RunAction::Done => {
                let state = read_status(&run_dir).map_or(RunState::Finished, |s| s.state);
                evaluate_full_test(&tag, &run_dir, &data, device, state, bars)?;
                say(
                    bars,
                    format!(
                        "{tag}: already done ({}){}",
                        state_word(state),
                        accuracy_note(&run_dir)
                    ),
                );
                return Ok(RunOutcome::Completed {
                    state,
                    device: name.clone(),
                });
            }
            RunAction::Analyze => None,
            RunAction::Replace { reason } => {
                let moved = move_aside(&run_dir)?;
                say(
                    bars,
                    format!("{tag}: old run moved to {} ({reason})", moved.display()),
                );
                Some(false)
            }
            RunAction::Train => Some(false),
            RunAction::Resume => Some(true),
        };
        let mut record = RunRecord {
            config_hash: hash.clone(),
            profile: run.profile.name().into(),
            analyzed: false,
        };
        let state = match resume {
            Some(resume) => {
                let verb = if resume { "resuming" } else { "training" };
                say(bars, format!("{tag}: {verb} on {name}"));
                let source = data.source(&config)?;
                let group = bars.map(|b| deepskip_train::ProgressGroup::new(b, tag.clone()));
                let state = steps::train(
                    &config,
                    &run_dir,
                    source.as_ref(),
                    resume,
                    &ctx.interrupt,
                    group,
                )?;
                record.write(&run_dir)?;
                state
            }
            None => read_status(&run_dir).map_or(RunState::Finished, |s| s.state),
        };
        if state == RunState::Interrupted {
            say(
                bars,
                format!(
                    "{tag}: interrupted after {:.0} s; rerun to resume",
                    started.elapsed().as_secs_f64()
                ),
            );
            return Ok(RunOutcome::Interrupted {
                device: name.clone(),
            });
        }
        let Some(dataset) = data.analysable() else {
            say(
                bars,
                format!("{tag}: not analysed (Table IV reports ImageNet accuracy only)"),
            );
            return Ok(RunOutcome::Completed {
                state,
                device: name.clone(),
            });
        };
        // The census first: one forward pass over the test split, against the analysis's many.
        evaluate_full_test(&tag, &run_dir, &data, device, state, bars)?;
        say(bars, format!("{tag}: analysing"));
        match steps::analyze(
            &run_dir,
            run.recipe.analysis_samples,
            dataset,
            device,
            ctx.tolerance,
            ctx.view,
        ) {
            Ok(()) => {
                record.analyzed = true;
                record.write(&run_dir)?;
            }
            // A diverged run is a result even when its weights cannot be analysed.
            Err(e) if state == RunState::Diverged => {
                say(bars, format!("{tag}: diverged run not analysed: {e:#}"));
            }
            Err(e) => return Err(e),
        }
        Ok(RunOutcome::Completed {
            state,
            device: name.clone(),
        })
    })();
    match result {
        Ok(outcome) => {
            let already_done = action == RunAction::Done;
            if let (RunOutcome::Completed { state, .. }, false) = (&outcome, already_done) {
                say(
                    bars,
                    format!(
                        "{tag}: {} in {:.0} s{}",
                        state_word(*state),
                        started.elapsed().as_secs_f64(),
                        accuracy_note(&run_dir)
                    ),
                );
            }
            outcome
        }
        Err(error) => {
            say(
                bars,
                format!(
                    "{tag}: FAILED after {:.0} s: {error:#}",
                    started.elapsed().as_secs_f64()
                ),
            );
            RunOutcome::Failed {
                error: format!("{error:#}"),
                device: name,
            }
        }
    }
}

/// The run's census on the full test split, unless it has one (or cannot have one: ImageNet,
/// or a diverged run without a checkpoint).
fn evaluate_full_test(
    tag: &str,
    run_dir: &Path,
    data: &RunData<'_>,
    device: tch::Device,
    state: RunState,
    bars: Option<&indicatif::MultiProgress>,
) -> anyhow::Result<()> {
    let Some(dataset) = data.analysable() else {
        return Ok(());
    };
    if test_evaluation::read(run_dir).is_some() {
        return Ok(());
    }
    match test_evaluation::evaluate(run_dir, dataset, device) {
        Ok(census) => {
            let (class, share) = census.majority_prediction();
            say(
                bars,
                format!(
                "{tag}: full test split ({} images): {:.2}%, class {class} predicted for {:.1}%",
                census.test_images,
                100.0 * census.accuracy(),
                100.0 * share
            ),
            );
            Ok(())
        }
        Err(e) if state == RunState::Diverged => {
            say(
                bars,
                format!("{tag}: diverged run not evaluated on the full test split: {e:#}"),
            );
            Ok(())
        }
        Err(e) => Err(e),
    }
}

/// Prints a progress line; above the bars when several runs draw theirs (a plain print would
/// be drawn over).
fn say(bars: Option<&indicatif::MultiProgress>, line: String) {
    match bars {
        Some(bars) => bars.suspend(|| println!("{line}")),
        None => println!("{line}"),
    }
}

fn state_word(state: RunState) -> &'static str {
    match state {
        RunState::Finished => "finished",
        RunState::Diverged => "diverged",
        RunState::Interrupted => "interrupted",
        RunState::Running => "running",
        RunState::Skipped => "skipped",
    }
}

/// `, train 95.2%, test 94.8%` from the run's last epoch, when it has one.
fn accuracy_note(run_dir: &Path) -> String {
    super::summary::read_metrics(run_dir)
        .last()
        .map(|m| {
            format!(
                ", train {:.1}%, test {:.1}%",
                100.0 * m.train_acc,
                100.0 * m.test_acc
            )
        })
        .unwrap_or_default()
}

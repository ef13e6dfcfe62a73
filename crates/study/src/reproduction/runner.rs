//! Runs the plan: each run is trained (or resumed, or found done) and analysed on one device of
//! the pool; then `summary.json` and the report are written.

use super::data_cache::DataCache;
use super::device::{device_name, DevicePool};
use super::plan::PlannedRun;
use super::run_data::RunData;
use super::run_record::{decide, move_aside, read_status, write_record, RunAction, RunRecord};
use super::summary::{exit_status, render_summary, summarize, write_summary, RunOutcome};
use super::{
    imagenet, onset, slurm, steps, studies, test_evaluation, ReproductionOptions, RunScope,
};
use crate::{Accuracy, RunStep, StudyEvent, StudyObserver};
use deepskip_data::DatasetName;
use deepskip_models::{BnStats, Precision};
use deepskip_runs::schema::{RunState, RunSummary};
use deepskip_runs::ProfileDescription;
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
    events: &'a dyn StudyObserver,
}

/// Trains and analyses every run, then writes `summary.json` and the report.
pub fn run_reproduction(
    options: &ReproductionOptions,
    pool: &DevicePool,
    runs: &[PlannedRun],
    description: &ProfileDescription,
    events: &dyn StudyObserver,
) -> anyhow::Result<Reproduction> {
    std::fs::create_dir_all(&options.out).map_err(|e| {
        anyhow::anyhow!(
            "cannot create results directory {}: {e}",
            options.out.display()
        )
    })?;
    let datasets = datasets_in_scope(options, runs);
    let data = DataCache::obtain(&datasets, options.data_dir.clone(), options.profile, events);
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
        interrupt: Arc::clone(&options.interrupt),
        total: all_runs.len(),
        scope: options.scope,
        precision: options.precision,
        bn_stats: options.bn_stats,
        tolerance: options.tolerance,
        view: options.view,
        events,
    };
    if let RunScope::One(index) = options.scope {
        return Ok(Reproduction {
            status: run_one(&ctx, pool, runs, index)?,
            report_due: false,
            description: description.clone(),
        });
    }
    let outcomes = run_on_pool(&ctx, pool, &all_runs);
    let onset = onset::for_reproduction(
        options,
        runs,
        &data,
        pool.devices[0],
        &ctx.interrupt,
        &mut |e| {
            events.on_event(StudyEvent::Onset {
                line: e.to_string(),
            })
        },
    );

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
        deepskip_runs::write_json_atomic(
            &deepskip_runs::ResultsLayout::new(&options.out).studies(),
            &study_records,
        )?;
    }
    let shown: Vec<RunSummary> = summaries
        .iter()
        .chain(&every_summary[runs.len()..])
        .cloned()
        .collect();
    events.on_event(StudyEvent::Summary {
        text: render_summary(&shown, &description.one_line()),
    });
    let mut status = exit_status(&outcomes);
    if onset.failed > 0 {
        status = ExitCode::FAILURE;
    }
    Ok(Reproduction {
        status,
        report_due: true,
        description: description.clone(),
    })
}

/// How a reproduction ended. The report (deepskip-report, downstream of this crate) is the
/// caller's to write from `summary.json` when `report_due`.
#[derive(Debug, Clone)]
pub struct Reproduction {
    /// Success when every requested run finished, diverged, or was skipped for a stated reason.
    pub status: ExitCode,
    /// `summary.json` was (re)written: not so for a single Slurm array task.
    pub report_due: bool,
    /// How the outputs describe the profile (the report's input).
    pub description: ProfileDescription,
}

/// The data sets this invocation needs: a Slurm task loads only its run's.
fn datasets_in_scope(options: &ReproductionOptions, runs: &[PlannedRun]) -> Vec<DatasetName> {
    match options.scope {
        RunScope::One(index) => options
            .datasets
            .iter()
            .filter(|d| runs.get(index).is_some_and(|run| run.dataset == **d))
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
    // Several runs at once share the terminal: one training bar line each (the trainer draws
    // them), with the events' lines printed above.
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
    let say = |step: RunStep| {
        let event = StudyEvent::Run {
            tag: tag.clone(),
            step,
        };
        // Above the bars when several runs draw theirs (a line would be drawn over).
        match bars {
            Some(bars) => bars.suspend(|| ctx.events.on_event(event)),
            None => ctx.events.on_event(event),
        }
    };
    let data = match RunData::lookup(ctx.data, ctx.imagenet, &run.dataset) {
        Ok(data) => data,
        Err(reason) => {
            let first_line = reason.lines().next().unwrap_or_default();
            say(RunStep::Skipped {
                reason: first_line.into(),
            });
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
        say(RunStep::Recorded {
            outcome: slurm::outcome::describe(&outcome),
        });
        return outcome;
    }
    let started = Instant::now();
    let result = (|| -> anyhow::Result<RunOutcome> {
        let resume = match &action {
            RunAction::Done => {
                let state = read_status(&run_dir).map_or(RunState::Finished, |s| s.state);
                evaluate_full_test(&run_dir, &data, device, state, &say)?;
                say(RunStep::AlreadyDone {
                    state,
                    accuracy: last_accuracy(&run_dir),
                });
                return Ok(RunOutcome::Completed {
                    state,
                    device: name.clone(),
                });
            }
            RunAction::Analyze => None,
            RunAction::Replace { reason } => {
                let moved = move_aside(&run_dir)?;
                say(RunStep::MovedAside {
                    to: moved,
                    reason: reason.clone(),
                });
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
                say(RunStep::Training {
                    resume,
                    device: name.clone(),
                });
                let source = data.source(&config)?;
                let group = bars.map(|b| deepskip_train::ProgressGroup::new(b, tag.clone()));
                let state = steps::train(
                    &config,
                    &run_dir,
                    source.as_ref(),
                    resume,
                    &ctx.interrupt,
                    &say,
                    group,
                )?;
                write_record(&run_dir, &record)?;
                state
            }
            None => read_status(&run_dir).map_or(RunState::Finished, |s| s.state),
        };
        if state == RunState::Interrupted {
            say(RunStep::Interrupted {
                seconds: started.elapsed().as_secs_f64(),
            });
            return Ok(RunOutcome::Interrupted {
                device: name.clone(),
            });
        }
        // The census first: one forward pass over the test split, against the analysis's many.
        evaluate_full_test(&run_dir, &data, device, state, &say)?;
        say(RunStep::Analysing);
        match data
            .analysis_samples(run.recipe.analysis_samples, &config)
            .and_then(|samples| {
                steps::analyze(&run_dir, samples, device, ctx.tolerance, ctx.view, &say)
            }) {
            Ok(()) => {
                record.analyzed = true;
                write_record(&run_dir, &record)?;
            }
            // A diverged run is a result even when its weights cannot be analysed.
            Err(e) if state == RunState::Diverged => {
                say(RunStep::DivergedNotAnalysed {
                    error: format!("{e:#}"),
                });
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
                say(RunStep::Ended {
                    state: *state,
                    seconds: started.elapsed().as_secs_f64(),
                    accuracy: last_accuracy(&run_dir),
                });
            }
            outcome
        }
        Err(error) => {
            say(RunStep::Failed {
                seconds: started.elapsed().as_secs_f64(),
                error: format!("{error:#}"),
            });
            RunOutcome::Failed {
                error: format!("{error:#}"),
                device: name,
            }
        }
    }
}

/// The run's census on the full test split, unless it has one (or cannot have one: ImageNet,
/// streamed from folders, or a diverged run without a checkpoint).
fn evaluate_full_test(
    run_dir: &Path,
    data: &RunData<'_>,
    device: tch::Device,
    state: RunState,
    say: &dyn Fn(RunStep),
) -> anyhow::Result<()> {
    let RunData::Images(dataset) = *data else {
        return Ok(());
    };
    if test_evaluation::read(run_dir).is_some() {
        return Ok(());
    }
    match test_evaluation::evaluate(run_dir, dataset, device) {
        Ok(census) => {
            let (majority_class, share) = census.majority_prediction();
            say(RunStep::FullTestEvaluated {
                test_images: census.test_images,
                accuracy: census.accuracy(),
                majority_class,
                share,
            });
            Ok(())
        }
        Err(e) if state == RunState::Diverged => {
            say(RunStep::DivergedNotEvaluated {
                error: format!("{e:#}"),
            });
            Ok(())
        }
        Err(e) => Err(e),
    }
}

/// The last epoch's accuracies, when the run has one.
fn last_accuracy(run_dir: &Path) -> Option<Accuracy> {
    super::summary::read_metrics(run_dir)
        .last()
        .map(|m| Accuracy {
            train: m.train_acc,
            test: m.test_acc,
        })
}

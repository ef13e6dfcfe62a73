//! One run's study: the initialised network, then (for a followed run) the replay and each
//! recorded step, every point written to `onset.json` as soon as it is analysed, so an
//! interrupted study resumes at the first missing point.

use super::events::OnsetEvent;
use super::layout::StudyDir;
use super::point::{analyse_point, PointInputs};
use super::replay::{recorded, replay};
use super::settings::{OnsetSettings, Target};
use super::snapshots::read_gradient_norms;
use crate::analysis::{fixed_sample, ANALYSIS_SEED};
use crate::reproduction::run_data::RunData;
use crate::reproduction::run_record::move_aside;
use deepskip_data::Dataset;
use deepskip_models::{BnStats, Precision};
use deepskip_runs::schema::RunState;
use deepskip_spectra::onset_record::{OnsetRun, Pass, SingularRule};
use deepskip_train::TrainConfig;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

/// What one run's study needs besides its target.
#[derive(Debug)]
pub struct StudyContext<'a> {
    pub results_dir: &'a Path,
    pub settings: &'a OnsetSettings,
    pub precision: Precision,
    pub bn_stats: BnStats,
    pub device: tch::Device,
    /// Redo studies that are already complete.
    pub force: bool,
    pub interrupt: &'a Arc<AtomicBool>,
}

/// How one run's study ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StudyEnd {
    Complete,
    AlreadyDone,
    Interrupted,
}

/// Runs (or resumes) the study of `target` on `dataset`.
pub fn study_run(
    ctx: &StudyContext<'_>,
    target: Target<'_>,
    dataset: &Dataset,
    on_event: &mut dyn FnMut(OnsetEvent),
) -> anyhow::Result<StudyEnd> {
    let run = target.run;
    let label = run.label();
    let started = Instant::now();
    let dir = StudyDir::of(ctx.results_dir, run);
    let data = RunData::Images(dataset);
    let config = TrainConfig {
        precision: ctx.precision,
        bn_stats: ctx.bn_stats,
        ..data.train_config(run, &crate::reproduction::device::device_name(ctx.device))
    };
    let source = data.source(&config)?;
    let steps_per_epoch = deepskip_train::steps_per_epoch(&config, source.as_ref())? as u64;
    let planned = if target.trajectory {
        ctx.settings.schedule.steps(steps_per_epoch, config.epochs)
    } else {
        vec![0]
    };
    let fresh = OnsetRun {
        dataset: run.dataset.to_string(),
        model: run.model.clone(),
        seed: run.seed,
        config_hash: run.config_hash(),
        samples: ctx.settings.samples.unwrap_or(run.recipe.analysis_samples),
        layer_count: 0,
        steps_per_epoch,
        total_steps: steps_per_epoch * config.epochs as u64,
        planned_steps: planned.clone(),
        lost_steps: Vec::new(),
        points: Vec::new(),
    };
    let mut study = match existing_study(&dir, &fresh, ctx.force)? {
        Some(s) if s.is_complete() => {
            on_event(OnsetEvent::AlreadyDone { label });
            return Ok(StudyEnd::AlreadyDone);
        }
        Some(s) => s,
        None => fresh,
    };
    on_event(OnsetEvent::Started {
        label: label.clone(),
        planned: planned.len(),
        done: study.points.len(),
    });
    let spec = deepskip_train::resolve_spec(&config, source.input())?;
    study.layer_count = spec.layer_count();
    let inputs = PointInputs {
        spec,
        seed: run.seed,
        bn_stats: ctx.bn_stats,
        precision: ctx.precision,
        samples: Arc::new(fixed_sample(&dataset.train, study.samples, ANALYSIS_SEED)),
        normalization: &dataset.normalization,
        device: ctx.device,
        f64_pass: ctx.settings.f64_pass,
        steps_per_epoch,
    };
    // Claims the folder, so that a replay stopped midway is resumed, not moved aside.
    write_study(&dir, &study)?;
    if target.trajectory && !recorded(&dir, &planned) {
        let replayed = Replay {
            config: &config,
            source: source.as_ref(),
            dir: &dir,
            planned: &planned,
            label: &label,
        };
        if replay_run(&replayed, ctx, &mut study, on_event)? == RunState::Interrupted {
            return Ok(StudyEnd::Interrupted);
        }
    }
    if analyse_missing_points(ctx, &inputs, &dir, &mut study, &label, on_event)? {
        return Ok(StudyEnd::Interrupted);
    }
    on_event(OnsetEvent::Finished {
        label,
        seconds: started.elapsed().as_secs_f64(),
    });
    Ok(StudyEnd::Complete)
}

fn write_study(dir: &StudyDir, study: &OnsetRun) -> anyhow::Result<()> {
    Ok(deepskip_runs::write_json_atomic(&dir.onset_file(), study)?)
}

/// Analyses every planned point not yet in `study`, writing the file after each; `true` when
/// interrupted before the last.
fn analyse_missing_points(
    ctx: &StudyContext<'_>,
    inputs: &PointInputs<'_>,
    dir: &StudyDir,
    study: &mut OnsetRun,
    label: &str,
    on_event: &mut dyn FnMut(OnsetEvent),
) -> anyhow::Result<bool> {
    let missing: Vec<u64> = study
        .planned_steps
        .iter()
        .copied()
        .filter(|&s| study.point(s).is_none() && !study.lost_steps.contains(&s))
        .collect();
    for step in missing {
        if ctx.interrupt.load(Ordering::SeqCst) {
            return Ok(true);
        }
        let gradients = read_gradient_norms(dir, step)?;
        let point = analyse_point(inputs, dir, step, gradients.as_ref())?;
        on_event(OnsetEvent::Point {
            label: label.to_string(),
            step,
            seconds: point.seconds,
            onset: point.onset(Pass::Batch, SingularRule::DataPrecision),
        });
        study.points.push(point);
        study.points.sort_by_key(|p| p.step);
        write_study(dir, study)?;
    }
    Ok(false)
}

/// What the replay of one run needs.
struct Replay<'a> {
    config: &'a TrainConfig,
    source: &'a dyn deepskip_train::BatchSource,
    dir: &'a StudyDir,
    planned: &'a [u64],
    label: &'a str,
}

/// Trains the replay; after a divergence, the planned steps it never reached become
/// `study.lost_steps`.
fn replay_run(
    r: &Replay<'_>,
    ctx: &StudyContext<'_>,
    study: &mut OnsetRun,
    on_event: &mut dyn FnMut(OnsetEvent),
) -> anyhow::Result<RunState> {
    on_event(OnsetEvent::Replaying {
        label: r.label.to_string(),
    });
    let started = Instant::now();
    let state = replay(r.config, r.source, r.dir, r.planned, ctx.interrupt)?;
    on_event(OnsetEvent::Replayed {
        label: r.label.to_string(),
        state,
        seconds: started.elapsed().as_secs_f64(),
    });
    if state == RunState::Diverged {
        study.lost_steps = r
            .planned
            .iter()
            .copied()
            .filter(|&s| s > 0 && !r.dir.weights_file(s).is_file())
            .collect();
        write_study(r.dir, study)?;
    }
    Ok(state)
}

/// The study already on disk for `fresh`'s configuration and plan, if any (without its points
/// when it was made with another sample count); one made for another configuration or plan
/// (or any, with `force`) is moved aside.
fn existing_study(
    dir: &StudyDir,
    fresh: &OnsetRun,
    force: bool,
) -> anyhow::Result<Option<OnsetRun>> {
    let file = dir.onset_file();
    let on_disk = file
        .is_file()
        .then(|| deepskip_runs::read_json::<OnsetRun>(&file))
        .transpose();
    let same = |s: &OnsetRun| {
        s.config_hash == fresh.config_hash
            && s.samples == fresh.samples
            && s.planned_steps == fresh.planned_steps
    };
    match on_disk {
        Ok(Some(s)) if !force && same(&s) => Ok(Some(s)),
        // Only the sample count changed: the recorded steps are kept, the points redone.
        Ok(Some(s))
            if !force
                && s.config_hash == fresh.config_hash
                && s.planned_steps == fresh.planned_steps =>
        {
            Ok(Some(OnsetRun {
                lost_steps: s.lost_steps,
                ..fresh.clone()
            }))
        }
        _ if dir.root().exists() => {
            move_aside(dir.root())?;
            Ok(None)
        }
        _ => Ok(None),
    }
}

//! The onset study on a toy depth (PlainNet-20 on a generated IDX set, ten steps): the replay
//! is the trained run step for step, the initial point is the run's initial network, the last
//! point's representations are the run's analysis, and a study interrupted during its replay
//! resumes it (not trained again from the start) to the same file as an uninterrupted one.

use deepskip_models::{BnStats, Precision};
use deepskip_runs::schema::RunState;
use deepskip_spectra::onset_record::{OnsetRun, Pass, SingularRule};
use deepskip_spectra::records::LayerConditionRow;
use deepskip_study::reproduction::data_cache::DataCache;
use deepskip_study::reproduction::onset::{
    study_run, OnsetEvent, OnsetSettings, StudyContext, StudyDir, StudyEnd, Target,
};
use deepskip_study::reproduction::plan::{plan_runs, PlannedRun};
use deepskip_study::reproduction::profile::Profile;
use deepskip_study::reproduction::train_config::train_config;
use deepskip_train::{RunOptions, SmallImages};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use tch::Tensor;

#[path = "../../cli/tests/support/mod.rs"]
mod support;

/// The toy profile's PlainNet-20 run on the IDX set in `data`.
fn planned(data: &Path) -> (Vec<PlannedRun>, DataCache) {
    let dataset = deepskip_data::DatasetName::Idx(data.to_path_buf());
    let runs = plan_runs(
        Profile::Toy,
        std::slice::from_ref(&dataset),
        &["plainnet-20".to_string()],
        1,
    );
    let cache = DataCache::obtain(
        &[dataset],
        None,
        Profile::Toy,
        &deepskip_study::EventLog::default(),
    );
    (runs, cache)
}

fn context<'a>(
    out: &'a Path,
    settings: &'a OnsetSettings,
    interrupt: &'a Arc<AtomicBool>,
) -> StudyContext<'a> {
    StudyContext {
        results_dir: out,
        settings,
        precision: Precision::F32,
        bn_stats: BnStats::Native,
        device: tch::Device::Cpu,
        force: false,
        interrupt,
    }
}

fn sorted_tensors(path: &Path) -> Vec<(String, Tensor)> {
    let mut t = Tensor::read_safetensors(path).unwrap();
    t.sort_by(|a, b| a.0.cmp(&b.0));
    t
}

fn assert_same_tensors(a: &[(String, Tensor)], b: &[(String, Tensor)], what: &str) {
    assert_eq!(
        a.iter().map(|t| &t.0).collect::<Vec<_>>(),
        b.iter().map(|t| &t.0).collect::<Vec<_>>(),
        "{what}"
    );
    for ((name, x), (_, y)) in a.iter().zip(b) {
        assert!(x.equal(y), "{what}: {name} differs");
    }
}

/// The study's file with the timings zeroed (everything else must match to the bit).
fn measured(study: &OnsetRun) -> String {
    let mut study = study.clone();
    for p in &mut study.points {
        p.seconds = 0.0;
    }
    serde_json::to_string(&study).unwrap()
}

#[test]
fn the_trajectory_is_the_trained_run_and_resumes_after_an_interrupt() {
    tch::set_num_threads(1);
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("digits");
    support::write_idx_data_set(&data, 8, 4);
    let (runs, cache) = planned(&data);
    let run = &runs[0];
    let dataset = cache.get(&run.dataset).unwrap();
    let settings = OnsetSettings::for_profile(Profile::Toy);
    let target = Target {
        run,
        trajectory: true,
    };

    // The run itself, trained as the reproduction trains it, and its analysis.
    let out = tmp.path().join("whole");
    let run_dir = out.join(run.rel_dir());
    let config = train_config(run, "cpu");
    deepskip_train::train_from(
        &config,
        &SmallImages::new(&config, dataset),
        &run_dir,
        &RunOptions::default(),
    )
    .unwrap();
    let samples = deepskip_study::analysis::AnalysisSamples {
        images: deepskip_study::analysis::fixed_sample(
            &dataset.train,
            run.recipe.analysis_samples,
            deepskip_study::analysis::ANALYSIS_SEED,
        ),
        normalization: dataset.normalization.clone(),
    };
    deepskip_study::reproduction::steps::analyze(
        &run_dir,
        samples,
        tch::Device::Cpu,
        deepskip_spectra::Tolerance::DataPrecision,
        deepskip_study::analysis::RepresentationView::Flattened,
        &|_| {},
    )
    .unwrap();

    let never = Arc::new(AtomicBool::new(false));
    let mut events = Vec::new();
    let end = study_run(
        &context(&out, &settings, &never),
        target,
        dataset,
        &mut |e| events.push(e),
    )
    .unwrap();
    assert_eq!(end, StudyEnd::Complete, "{events:?}");
    let dir = StudyDir::of(&out, run);
    let study = deepskip_report::beyond::onset_data::read_onset_run(&dir.onset_file()).unwrap();
    // 2 epochs of 5 steps: 0, powers of two, the first and the last epoch end.
    assert_eq!(study.planned_steps, vec![0, 1, 2, 4, 5, 8, 10]);
    assert!(study.is_complete());
    assert_eq!(study.layer_count, 20);
    for p in &study.points {
        for pass in [Pass::Batch, Pass::Running, Pass::BatchF64] {
            assert_eq!(p.layers(pass).len(), 20, "step {} {pass:?}", p.step);
        }
        assert_eq!(p.weights.len(), 20, "step {}", p.step);
        let has_gradient = p.weights.iter().all(|m| m.grad_norm.is_some());
        assert_eq!(
            has_gradient,
            p.step < 10,
            "step {}: gradient only before the end",
            p.step
        );
    }
    assert_eq!(study.point(5).unwrap().epoch_end, Some(1));

    // The replay is the run: its last weights are the run's checkpoint, its metrics the run's.
    let trained = deepskip_train::load_trained(&run_dir, tch::Device::Cpu).unwrap();
    let mut run_weights: Vec<(String, Tensor)> = trained.vs.variables().into_iter().collect();
    run_weights.sort_by(|a, b| a.0.cmp(&b.0));
    assert_same_tensors(
        &sorted_tensors(&dir.weights_file(10)),
        &run_weights,
        "step 10",
    );
    let metrics = |d: &Path| {
        let text = std::fs::read_to_string(d.join("metrics.jsonl")).unwrap();
        deepskip_runs::parse_metrics(&text)
            .unwrap()
            .iter()
            .map(|m| (m.step, m.train_loss, m.test_acc))
            .collect::<Vec<_>>()
    };
    assert_eq!(metrics(&dir.train_dir()), metrics(&run_dir));

    // The initial point is the network the trainer started from (the trained run's seed).
    let (vs, _) = deepskip_study::reproduction::onset::network_at(
        &point_inputs_for(&config, dataset, &settings),
        &dir,
        0,
    )
    .unwrap();
    let mut initial: Vec<(String, Tensor)> = vs.variables().into_iter().collect();
    initial.sort_by(|a, b| a.0.cmp(&b.0));
    assert_same_tensors(&sorted_tensors(&dir.weights_file(0)), &initial, "step 0");

    // The last point's batch-statistics pass is the run's own analysis.
    let mut reader = csv::Reader::from_path(run_dir.join("analysis/hidden_condition.csv")).unwrap();
    let rows: Vec<LayerConditionRow> = reader.deserialize().map(|r| r.unwrap()).collect();
    let last = study.point(10).unwrap();
    for (row, layer) in rows.iter().zip(last.layers(Pass::Batch)) {
        assert_eq!(row.layer, layer.layer);
        assert_eq!(row.rank, layer.rank, "layer {}", row.layer);
        // Same weights, same samples; LAPACK on differently aligned copies may differ in the
        // last bit.
        let same = row.kappa == layer.kappa
            || (row.kappa.is_nan() && layer.kappa.is_nan())
            || ((row.kappa - layer.kappa) / row.kappa).abs() < 1e-12;
        assert!(
            same,
            "layer {}: {} vs {}",
            row.layer, row.kappa, layer.kappa
        );
    }
    assert_eq!(
        last.singular_count(Pass::Batch, SingularRule::DataPrecision),
        rows.iter().filter(|r| r.is_singular()).count()
    );

    // Stopped while replaying (after its first step), then resumed: the same study.
    let split = tmp.path().join("split");
    let stop = Arc::new(AtomicBool::new(false));
    let mut seen = Vec::new();
    let end = study_run(
        &context(&split, &settings, &stop),
        target,
        dataset,
        &mut |e| {
            if matches!(e, OnsetEvent::Replaying { .. }) {
                stop.store(true, Ordering::SeqCst);
            }
            seen.push(e);
        },
    )
    .unwrap();
    assert_eq!(end, StudyEnd::Interrupted, "{seen:?}");
    let split_dir = StudyDir::of(&split, run);
    let partial =
        deepskip_report::beyond::onset_data::read_onset_run(&split_dir.onset_file()).unwrap();
    assert!(
        partial.points.is_empty(),
        "the replay comes before the points"
    );
    let stopped = deepskip_train::RunDir::new(split_dir.train_dir())
        .read_status()
        .unwrap();
    assert_eq!(
        (stopped.state, stopped.step),
        (RunState::Interrupted, 1),
        "the replay stopped after its first step"
    );
    stop.store(false, Ordering::SeqCst);
    let mut resumed = Vec::new();
    let end = study_run(
        &context(&split, &settings, &stop),
        target,
        dataset,
        &mut |e| resumed.push(e),
    )
    .unwrap();
    assert_eq!(end, StudyEnd::Complete, "{resumed:?}");
    assert!(
        matches!(
            resumed[0],
            OnsetEvent::Started {
                done: 0,
                planned: 7,
                ..
            }
        ),
        "{resumed:?}"
    );
    let again =
        deepskip_report::beyond::onset_data::read_onset_run(&split_dir.onset_file()).unwrap();
    assert_eq!(measured(&again), measured(&study));
    let studies = std::fs::read_dir(split_dir.root().parent().unwrap()).unwrap();
    assert_eq!(studies.count(), 1, "resumed in place, nothing moved aside");

    // A third call finds it complete and analyses nothing.
    let mut third = Vec::new();
    let end = study_run(
        &context(&split, &settings, &stop),
        target,
        dataset,
        &mut |e| third.push(e),
    )
    .unwrap();
    assert_eq!(end, StudyEnd::AlreadyDone);
    assert!(!third.iter().any(|e| matches!(e, OnsetEvent::Point { .. })));
}

fn point_inputs_for<'a>(
    config: &deepskip_train::TrainConfig,
    dataset: &'a deepskip_data::Dataset,
    settings: &OnsetSettings,
) -> deepskip_study::reproduction::onset::PointInputs<'a> {
    let source = SmallImages::new(config, dataset);
    let spec =
        deepskip_train::resolve_spec(config, deepskip_train::BatchSource::input(&source)).unwrap();
    deepskip_study::reproduction::onset::PointInputs {
        spec,
        seed: config.seed,
        bn_stats: BnStats::Native,
        precision: Precision::F32,
        samples: Arc::new(dataset.train.clone()),
        normalization: &dataset.normalization,
        device: tch::Device::Cpu,
        f64_pass: settings.f64_pass,
        steps_per_epoch: 5,
    }
}

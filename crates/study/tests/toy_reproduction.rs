//! In process: the toy reproduction on a tiny generated IDX data set, driven through the study
//! crate; its events say what happened and its files are where the events say.

use deepskip_models::{BnStats, Precision};
use deepskip_runs::schema::{RunState, RunSummary};
use deepskip_runs::ResultsLayout;
use deepskip_spectra::Tolerance;
use deepskip_study::analysis::RepresentationView;
use deepskip_study::reproduction::device::DeviceChoice;
use deepskip_study::reproduction::profile::Profile;
use deepskip_study::reproduction::{reproduce, ReproductionOptions, RunScope};
use deepskip_study::{EventLog, RunStep, StudyEvent};
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

#[path = "../../cli/tests/support/mod.rs"]
mod support;

#[test]
fn a_toy_reproduction_reports_its_steps_and_writes_its_results() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("digits");
    support::write_idx_data_set(&data, 8, 4);
    let out = tmp.path().join("results");
    let options = ReproductionOptions {
        profile: Profile::Toy,
        datasets: vec![deepskip_data::DatasetName::Idx(data.clone())],
        models: vec!["resnet-20".into()],
        device: DeviceChoice::Cpu,
        seeds: 1,
        out: out.clone(),
        jobs: Some(1),
        imagenet: None,
        data_dir: Some(tmp.path().join("no-data-here")),
        force: false,
        allow_cpu: false,
        scope: RunScope::All,
        precision: Precision::default(),
        bn_stats: BnStats::default(),
        tolerance: Tolerance::default(),
        view: RepresentationView::default(),
        interrupt: Arc::new(AtomicBool::new(false)),
        studies: deepskip_study::reproduction::studies::StudySelection::NONE,
    };
    let log = EventLog::default();
    let done = reproduce(options.clone(), &log).unwrap();
    assert_eq!(done.status, ExitCode::SUCCESS);
    assert!(done.report_due);
    // The report is downstream of the study: its caller writes it from summary.json.
    let page = deepskip_report::write_report(&out, &done.description)
        .unwrap()
        .html;

    let events = log.events();
    assert!(
        matches!(&events[0], StudyEvent::Planned { runs: 1, .. }),
        "{events:?}"
    );
    let steps: Vec<&RunStep> = events
        .iter()
        .filter_map(|e| match e {
            StudyEvent::Run { step, .. } => Some(step),
            _ => None,
        })
        .collect();
    assert!(
        matches!(steps[0], RunStep::Training { resume: false, .. }),
        "{steps:?}"
    );
    assert!(steps
        .iter()
        .any(|s| matches!(s, RunStep::Analysed { hidden, .. } if *hidden > 0)));
    let ended = steps.iter().find_map(|s| match s {
        RunStep::Ended {
            state, accuracy, ..
        } => Some((*state, *accuracy)),
        _ => None,
    });
    let (state, accuracy) = ended.expect("an Ended step");
    assert_eq!(state, RunState::Finished);
    let accuracy = accuracy.expect("the run has a last epoch");
    assert!((0.0..=1.0).contains(&accuracy.test));
    assert!(page.is_file());
    assert!(
        matches!(events.last(), Some(StudyEvent::Summary { text }) if text.contains("ResNet-20")),
        "{events:?}"
    );

    let layout = ResultsLayout::new(&out);
    let summary: Vec<RunSummary> =
        serde_json::from_str(&std::fs::read_to_string(layout.summary()).unwrap()).unwrap();
    // The trained run, then Table IV's three ImageNet rows, skipped (no ImageNet given).
    assert_eq!(summary.len(), 4);
    assert!(summary[1..].iter().all(|s| s.state == RunState::Skipped));
    assert_eq!(summary[0].test_acc, Some(accuracy.test));
    let run = layout.run(summary[0].run_dir.as_deref().unwrap());
    assert!(run.hidden_condition().is_file() && run.layer_stats().is_file());

    // A rerun finds the run done and trains nothing.
    let again = EventLog::default();
    reproduce(options, &again).unwrap();
    let reran: Vec<StudyEvent> = again.events();
    assert!(reran.iter().any(|e| matches!(
        e,
        StudyEvent::Run {
            step: RunStep::AlreadyDone {
                state: RunState::Finished,
                ..
            },
            ..
        }
    )));
    assert!(!reran.iter().any(|e| matches!(
        e,
        StudyEvent::Run {
            step: RunStep::Training { .. },
            ..
        }
    )));
}

//! The studies beyond the paper that `--study` adds to a reproduction: the depth sweep and the
//! initialisation study. Their runs are planned runs like the paper's (trained, resumed,
//! analysed and evaluated by the same runner, side by side with them), kept out of the paper's
//! tables and listed with their study in `studies.json` for the report's "Beyond the paper".

mod depth;
mod init;
mod selection;

pub use selection::{StudyChoice, StudySelection};

use super::plan::PlannedRun;
use super::profile::Profile;
use deepskip_data::DatasetName;
use deepskip_runs::schema::RunSummary;
use deepskip_runs::study_record::{Study, StudyRun};

/// A run that a study needs.
#[derive(Debug, Clone, PartialEq)]
pub struct StudyPlannedRun {
    pub study: Study,
    pub run: PlannedRun,
}

/// Every run the selected studies need, in study order (depth, then init). Runs the paper's
/// plan already makes (PlainNet-164 He, say) appear here too; [`extra_runs`] drops them.
pub fn plan_studies(
    selection: StudySelection,
    profile: Profile,
    datasets: &[DatasetName],
    seeds: u64,
) -> Vec<StudyPlannedRun> {
    let mut out = Vec::new();
    if selection.depth {
        out.extend(tagged(Study::Depth, depth::plan(profile, datasets, seeds)));
    }
    if selection.init {
        out.extend(tagged(Study::Init, init::plan(profile, datasets, seeds)));
    }
    out
}

fn tagged(study: Study, runs: Vec<PlannedRun>) -> impl Iterator<Item = StudyPlannedRun> {
    runs.into_iter()
        .map(move |run| StudyPlannedRun { study, run })
}

/// The study runs not already in `planned` (same run directory), each once.
pub fn extra_runs(planned: &[PlannedRun], studies: &[StudyPlannedRun]) -> Vec<PlannedRun> {
    let mut out: Vec<PlannedRun> = Vec::new();
    for s in studies {
        let known = planned
            .iter()
            .chain(&out)
            .any(|r| r.rel_dir() == s.run.rel_dir());
        if !known {
            out.push(s.run.clone());
        }
    }
    out
}

/// The `studies.json` entries: each study run with the summary of the run directory it shares
/// with `summaries` (those of every run made, in `runs` order).
pub fn study_records(
    studies: &[StudyPlannedRun],
    runs: &[PlannedRun],
    summaries: &[RunSummary],
) -> Vec<StudyRun> {
    studies
        .iter()
        .filter_map(|s| {
            let index = runs.iter().position(|r| r.rel_dir() == s.run.rel_dir())?;
            Some(StudyRun {
                study: s.study,
                init: s.run.init.name().into(),
                summary: summaries.get(index)?.clone(),
            })
        })
        .collect()
}

/// The data set a single-data-set study runs on: MNIST when the reproduction has it (the
/// cheapest and the paper's clearest collapse), otherwise its first data set.
fn study_dataset(datasets: &[DatasetName]) -> Option<DatasetName> {
    datasets
        .iter()
        .find(|d| **d == DatasetName::Mnist)
        .or(datasets.first())
        .cloned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reproduction::plan::{default_models, plan_runs};

    fn datasets() -> Vec<DatasetName> {
        vec![DatasetName::Mnist, DatasetName::Cifar10]
    }

    #[test]
    fn study_runs_the_paper_plan_already_makes_are_not_planned_twice() {
        let main = plan_runs(Profile::Toy, &datasets(), &default_models(Profile::Toy), 1);
        let studies = plan_studies(StudySelection::ALL, Profile::Toy, &datasets(), 1);
        let extra = extra_runs(&main, &studies);
        // Toy depths 8, 14, 20 (PlainNet, ResNet), 11, 20 (ResNeXt): the 20-layer ones are in
        // the paper plan; the init study adds one delta-orthogonal PlainNet per data set.
        let labels: Vec<String> = extra.iter().map(PlannedRun::label).collect();
        assert_eq!(
            labels,
            [
                "mnist plainnet-8 seed 0",
                "mnist resnet-8 seed 0",
                "mnist resnext-11 seed 0",
                "mnist plainnet-14 seed 0",
                "mnist resnet-14 seed 0",
                "mnist plainnet-20-delta-orthogonal seed 0",
                "cifar10 plainnet-20-delta-orthogonal seed 0",
            ]
        );
        let mut dirs: Vec<_> = main.iter().chain(&extra).map(PlannedRun::rel_dir).collect();
        dirs.sort();
        dirs.dedup();
        assert_eq!(dirs.len(), main.len() + extra.len());
    }

    #[test]
    fn records_pair_each_study_run_with_the_summary_of_its_directory() {
        let main = plan_runs(Profile::Toy, &datasets(), &default_models(Profile::Toy), 1);
        let studies = plan_studies(StudySelection::INIT, Profile::Toy, &datasets(), 1);
        let all: Vec<PlannedRun> = main
            .iter()
            .cloned()
            .chain(extra_runs(&main, &studies))
            .collect();
        let summaries: Vec<RunSummary> = all
            .iter()
            .map(|r| {
                let outcome = super::super::summary::RunOutcome::Skipped { reason: "x".into() };
                super::super::summary::summarize(
                    r,
                    &outcome,
                    0,
                    std::path::Path::new("/nonexistent"),
                )
            })
            .collect();
        let records = study_records(&studies, &all, &summaries);
        assert_eq!(records.len(), 4);
        assert_eq!(records[0].init, "he");
        assert_eq!(records[0].summary.model, "plainnet-20");
        assert_eq!(records[1].init, "delta-orthogonal");
        assert!(records.iter().all(|r| r.study == Study::Init));
    }
}

//! What the onset study covers under each profile: which runs it follows through training,
//! at which steps, and which extra passes it takes.

use super::schedule::{EpochEnds, StepSchedule};
use crate::reproduction::plan::PlannedRun;
use crate::reproduction::profile::Profile;

/// The study's scope for one reproduction.
#[derive(Debug, Clone, PartialEq)]
pub struct OnsetSettings {
    pub schedule: StepSchedule,
    /// Model families (`plainnet`, ...) whose runs are followed through training; every other
    /// run of seed 0 is analysed at initialisation only.
    pub trajectory_families: Vec<&'static str>,
    /// Follow training on the first data set of the plan only (the rest: initialisation).
    pub trajectory_first_dataset_only: bool,
    /// Also take each point's representations with the weights cast to f64.
    pub f64_pass: bool,
    /// Samples per representation at every point; `None`: the run's own analysis samples.
    pub samples: Option<usize>,
}

impl OnsetSettings {
    /// Sized by measurement for `quick` (docs/findings.md): few points and few samples, so the
    /// added time stays a small share of the reproduction. `paper` follows both families at powers of two and every tenth
    /// epoch end (each point is a full analysis: hours of CPU at the paper's widths).
    pub fn for_profile(profile: Profile) -> OnsetSettings {
        match profile {
            Profile::Quick => OnsetSettings {
                schedule: StepSchedule {
                    ratio: 10f64.sqrt(),
                    epoch_ends: EpochEnds::FirstAndLast,
                },
                trajectory_families: vec!["plainnet"],
                trajectory_first_dataset_only: true,
                f64_pass: true,
                // Three passes at seven points and at every other model's initialisation: at
                // the run's 128 samples one pass of PlainNet-164 took 250 s on the loaded
                // 2-core machine (debug build); the cost grows faster than linearly in N.
                samples: Some(32),
            },
            Profile::Paper | Profile::Gpu => OnsetSettings {
                schedule: StepSchedule {
                    ratio: 2.0,
                    epoch_ends: EpochEnds::Every(10),
                },
                trajectory_families: vec!["plainnet", "resnet"],
                trajectory_first_dataset_only: false,
                f64_pass: true,
                samples: None,
            },
            Profile::Toy => OnsetSettings {
                schedule: StepSchedule {
                    ratio: 2.0,
                    epoch_ends: EpochEnds::FirstAndLast,
                },
                trajectory_families: vec!["plainnet"],
                trajectory_first_dataset_only: true,
                f64_pass: true,
                samples: None,
            },
        }
    }

    /// The runs the study covers, with whether each is followed through training: seed 0 of
    /// every planned run that is analysed (not ImageNet's).
    pub fn targets<'a>(&self, runs: &'a [PlannedRun]) -> Vec<Target<'a>> {
        let first_dataset = runs.first().map(|r| &r.dataset);
        runs.iter()
            .filter(|r| r.seed == 0 && r.dataset != deepskip_data::DatasetName::ImageNet)
            .map(|run| {
                let family = run.model.split('-').next().unwrap_or_default();
                let dataset_ok =
                    !self.trajectory_first_dataset_only || Some(&run.dataset) == first_dataset;
                Target {
                    run,
                    trajectory: dataset_ok && self.trajectory_families.contains(&family),
                }
            })
            .collect()
    }
}

/// One run the study covers.
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    pub run: &'a PlannedRun,
    /// Followed through training (else: the initialised network only).
    pub trajectory: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reproduction::plan::{default_models, plan_runs};

    #[test]
    fn quick_follows_the_first_data_sets_plainnet_and_initialises_the_rest() {
        let runs = plan_runs(
            Profile::Quick,
            &[
                deepskip_data::DatasetName::Mnist,
                deepskip_data::DatasetName::Cifar10,
            ],
            &default_models(Profile::Quick),
            2,
        );
        let targets = OnsetSettings::for_profile(Profile::Quick).targets(&runs);
        assert_eq!(targets.len(), 6, "seed 0 of 2 data sets x 3 models");
        let followed: Vec<String> = targets
            .iter()
            .filter(|t| t.trajectory)
            .map(|t| t.run.label())
            .collect();
        assert_eq!(followed, vec!["mnist plainnet-164 seed 0"]);
    }
}

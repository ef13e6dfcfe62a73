//! A planned run as the train crate's `TrainConfig`.

use super::plan::PlannedRun;
use deepskip_train::{LrSchedule, RecordedVersions, TrainConfig, Warmup};

/// The training configuration of `run` on `device` (`cpu`, `cuda:0`).
pub fn train_config(run: &PlannedRun, device: &str) -> TrainConfig {
    let recipe = &run.recipe;
    TrainConfig {
        model: run.model.clone(),
        width_multiplier: recipe.width_multiplier,
        dataset: run.dataset.to_string(),
        epochs: recipe.epochs,
        batch_size: recipe.batch_size,
        lr: recipe.lr,
        momentum: recipe.momentum,
        nesterov: false,
        weight_decay: recipe.weight_decay,
        decay_bn_and_bias: true,
        schedule: LrSchedule::Step {
            milestones: recipe.lr_milestones.clone(),
            gamma: 0.1,
        },
        // He et al.'s warm-up: a tenth of the rate until the very deep net starts to fit.
        warmup: (recipe.warmup_steps > 0).then(|| Warmup {
            lr: recipe.lr / 10.0,
            iterations: recipe.warmup_steps,
        }),
        seed: run.seed,
        steps_per_epoch: None,
        train_subset: recipe.train_subset,
        test_subset: recipe.test_subset,
        device: device.to_string(),
        amp: false,
        checkpoint_every: 1,
        versions: RecordedVersions::detect(),
        init: run.init,
        ..TrainConfig::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reproduction::plan::{default_models, plan_runs};
    use crate::reproduction::profile::Profile;
    use deepskip_data::DatasetName;

    #[test]
    fn the_paper_profile_maps_to_the_train_crates_paper_defaults() {
        let run = &plan_runs(
            Profile::Paper,
            &[DatasetName::Cifar10],
            &default_models(Profile::Paper),
            1,
        )[1];
        let config = train_config(run, "cuda:0");
        let defaults = TrainConfig::default();
        assert_eq!(config.model, "resnet-164");
        assert_eq!(config.run_difference(&defaults), None, "{config:?}");
        assert!(config.validate().is_ok());
    }

    #[test]
    fn quick_runs_are_valid_and_reduced() {
        let run = &plan_runs(
            Profile::Quick,
            &[DatasetName::Mnist],
            &default_models(Profile::Quick),
            1,
        )[0];
        let config = train_config(run, "cpu");
        assert!(config.validate().is_ok());
        assert!(config.width_multiplier < 1.0);
        assert!(config.train_subset.is_some());
    }
}

//! Table IV (ImageNet-2012, 101-layer models): the ImageNet runs of the plan when `--imagenet`
//! is given, their training configuration (the usual ImageNet recipe), and otherwise one
//! skipped row per model in `summary.json`, so that the table is always written with the
//! reason.

use super::plan::{imagenet_models, plan_runs, PlannedRun};
use super::profile::Profile;
use super::summary::{summarize, RunOutcome};
use super::ReproductionOptions;
use deepskip_data::DatasetName;
use deepskip_runs::schema::RunSummary;
use deepskip_train::TrainConfig;
use std::path::Path;

/// Classes of ImageNet-2012.
const CLASSES: usize = 1000;
/// Crop side of `toy` ImageNet runs (the end-to-end test only); every other profile uses 224.
const TOY_IMAGE_SIZE: u32 = 32;

/// Why Table IV was not run.
pub fn skip_reason(imagenet: Option<&Path>) -> String {
    match imagenet {
        None => "no ImageNet-2012 directory given (it cannot be downloaded automatically); pass \
                 --imagenet <dir> with train/ and val/ class folders to run Table IV"
            .into(),
        Some(dir) => format!("ImageNet directory {} not run", dir.display()),
    }
}

/// The ImageNet runs (each model at the profile's ImageNet depth, each seed) when
/// `--imagenet` is given; none otherwise.
pub fn plan(options: &ReproductionOptions) -> Vec<PlannedRun> {
    if options.imagenet.is_none() {
        return Vec::new();
    }
    planned(options.profile, options.seeds)
}

fn planned(profile: Profile, seeds: u64) -> Vec<PlannedRun> {
    plan_runs(
        profile,
        &[DatasetName::ImageNet],
        &imagenet_models(profile),
        seeds,
    )
}

/// The training configuration of an ImageNet run: the usual recipe (lr 0.1 per 256 images,
/// x0.1 every 30 epochs, no warm-up) at the profile's batch, epochs and width. The folders are
/// streamed, so the profile's per-class training subset becomes a cap on the steps per epoch
/// (the same number of images); evaluation uses the whole validation split.
pub fn train_config(run: &PlannedRun, device: &str) -> TrainConfig {
    let recipe = &run.recipe;
    let batch = recipe.batch_size.max(1);
    TrainConfig {
        epochs: recipe.epochs,
        width_multiplier: recipe.width_multiplier,
        seed: run.seed,
        steps_per_epoch: recipe
            .train_subset
            .map(|per_class| (per_class * CLASSES / batch).max(1)),
        image_size: (run.profile == Profile::Toy).then_some(TOY_IMAGE_SIZE),
        device: device.to_string(),
        versions: deepskip_train::RecordedVersions::detect(),
        ..TrainConfig::imagenet(&run.model, &DatasetName::ImageNet.to_string(), batch)
    }
}

/// Without `--imagenet`: one skipped row per ImageNet model (and seed), with the reason. With
/// it, none: the runs are in the plan.
pub fn table_iv_rows(options: &ReproductionOptions) -> Vec<RunSummary> {
    if options.imagenet.is_some() {
        return Vec::new();
    }
    let reason = skip_reason(None);
    let outcome = RunOutcome::Skipped { reason };
    planned(options.profile, options.seeds)
        .iter()
        .map(|run| summarize(run, &outcome, param_count(&run.model), &options.out))
        .collect()
}

/// Parameters of an ImageNet model (101 layers default to the ImageNet input, 1,000 classes);
/// 0 when the spec is unknown.
pub fn param_count(model: &str) -> u64 {
    model
        .parse::<deepskip_models::ModelSpec>()
        .map(|spec| spec.param_count())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_paper_profile_plans_the_three_101_layer_models_with_the_imagenet_recipe() {
        let runs = planned(Profile::Paper, 1);
        let models: Vec<&str> = runs.iter().map(|r| r.model.as_str()).collect();
        assert_eq!(models, ["plainnet-101", "resnet-101", "resnext-101"]);
        let config = train_config(&runs[1], "cuda:1");
        assert!(config.validate().is_ok());
        assert_eq!(
            (config.epochs, config.batch_size, config.lr),
            (90, 256, 0.1)
        );
        assert_eq!(
            (config.warmup, config.steps_per_epoch, config.image_size),
            (None, None, None)
        );
        assert_eq!(config.dataset, "imagenet");
        assert_eq!(runs[1].rel_dir(), Path::new("runs/imagenet/resnet-101-s0"));
    }

    #[test]
    fn reduced_profiles_cap_steps_instead_of_subsetting_and_scale_the_rate() {
        let run = &planned(Profile::Toy, 1)[0];
        let config = train_config(run, "cpu");
        assert!(config.validate().is_ok());
        let batch = run.recipe.batch_size;
        assert_eq!(config.lr, deepskip_train::imagenet_lr(batch));
        assert_eq!((config.train_subset, config.test_subset), (None, None));
        assert_eq!(
            config.steps_per_epoch,
            Some(run.recipe.train_subset.unwrap() * CLASSES / batch)
        );
        assert_eq!(config.image_size, Some(TOY_IMAGE_SIZE));
    }
}

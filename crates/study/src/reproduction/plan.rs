//! The reproduction plan: which runs (data set x model x seed) a reproduction makes, where
//! each one lives, and the recipe each one trains with.

use super::profile::{DatasetKind, Profile, RunRecipe};
use deepskip_data::DatasetName;
use deepskip_models::Init;
use md5::{Digest, Md5};
use serde::Serialize;
use std::path::PathBuf;

/// The three model families of the paper, in the order the tables list them.
pub const FAMILIES: [&str; 3] = ["plainnet", "resnet", "resnext"];

/// One run to make: train `model` on `dataset` with `seed`, then analyse it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlannedRun {
    /// The data set (recorded by its name: `mnist`, `cifar10`, `idx:<dir>`, `imagenet`).
    pub dataset: DatasetName,
    /// The model spec, e.g. `resnet-164`.
    pub model: String,
    pub seed: u64,
    pub profile: Profile,
    pub recipe: RunRecipe,
    /// Initialisation of the convolutions; absent from the hash while He, so the runs made
    /// before it existed keep their identity.
    #[serde(skip_serializing_if = "is_he")]
    pub init: Init,
}

fn is_he(init: &Init) -> bool {
    *init == Init::He
}

impl PlannedRun {
    /// The run directory relative to the results directory: `runs/<dataset>/<model>-s<seed>`.
    pub fn rel_dir(&self) -> PathBuf {
        PathBuf::from("runs")
            .join(dataset_dir_name(&self.dataset))
            .join(format!(
                "{}{}-s{}",
                self.model,
                self.init_suffix(),
                self.seed
            ))
    }

    /// `-delta-orthogonal` for a run not initialised as the paper does, empty otherwise.
    fn init_suffix(&self) -> String {
        match self.init {
            Init::He => String::new(),
            other => format!("-{other}"),
        }
    }

    /// A digest of everything that determines the run's result (not the device: a run may be
    /// resumed elsewhere). A finished run with the same hash is not trained again.
    pub fn config_hash(&self) -> String {
        let canonical = serde_json::to_vec(self).unwrap_or_default();
        format!("{:x}", Md5::digest(canonical))
    }

    /// A short label for progress lines: `cifar10 resnet-164 seed 0`.
    pub fn label(&self) -> String {
        format!(
            "{} {}{} seed {}",
            self.dataset,
            self.model,
            self.init_suffix(),
            self.seed
        )
    }
}

/// A directory name for a data set: `idx:/some/dir` becomes `idx-dir`.
pub fn dataset_dir_name(dataset: &DatasetName) -> String {
    match dataset {
        DatasetName::Idx(dir) => {
            let base = dir
                .file_name()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| "dir".into());
            format!("idx-{}", sanitize(&base))
        }
        other => sanitize(&other.to_string()),
    }
}

fn sanitize(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Which recipe a data set needs (grey digits, 32x32 colour, or ImageNet).
pub fn dataset_kind(dataset: &DatasetName) -> DatasetKind {
    match dataset {
        DatasetName::ImageNet => DatasetKind::ImageNet,
        DatasetName::Cifar10 | DatasetName::Cifar100 { .. } => DatasetKind::Cifar,
        DatasetName::Mnist | DatasetName::Idx(_) => DatasetKind::Mnist,
    }
}

/// The default models of a profile: the three families at the profile's depth.
pub fn default_models(profile: Profile) -> Vec<String> {
    let depth = profile.recipe(DatasetKind::Mnist).depth;
    FAMILIES.iter().map(|f| format!("{f}-{depth}")).collect()
}

/// The ImageNet models: the three families at the profile's ImageNet depth.
pub fn imagenet_models(profile: Profile) -> Vec<String> {
    let depth = profile.imagenet_depth();
    FAMILIES.iter().map(|f| format!("{f}-{depth}")).collect()
}

/// Every run of a reproduction, data set by data set, then model, then seed.
pub fn plan_runs(
    profile: Profile,
    datasets: &[DatasetName],
    models: &[String],
    seeds: u64,
) -> Vec<PlannedRun> {
    let mut runs = Vec::new();
    for dataset in datasets {
        let recipe = profile.recipe(dataset_kind(dataset));
        for model in models {
            for seed in 0..seeds.max(1) {
                runs.push(PlannedRun {
                    dataset: dataset.clone(),
                    model: model.clone(),
                    seed,
                    profile,
                    recipe: recipe.clone(),
                    init: Init::He,
                });
            }
        }
    }
    runs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn datasets() -> Vec<DatasetName> {
        vec![DatasetName::Mnist, DatasetName::Cifar10]
    }

    #[test]
    fn plans_every_dataset_model_seed_combination_in_table_order() {
        let runs = plan_runs(
            Profile::Quick,
            &datasets(),
            &default_models(Profile::Quick),
            2,
        );
        assert_eq!(runs.len(), 2 * 3 * 2);
        assert_eq!(runs[0].label(), "mnist plainnet-164 seed 0");
        assert_eq!(runs[1].label(), "mnist plainnet-164 seed 1");
        assert_eq!(runs[11].label(), "cifar10 resnext-164 seed 1");
        assert_eq!(
            runs[0].rel_dir(),
            PathBuf::from("runs/mnist/plainnet-164-s0")
        );
    }

    #[test]
    fn config_hash_changes_with_what_determines_the_result() {
        let runs = plan_runs(
            Profile::Quick,
            &datasets(),
            &default_models(Profile::Quick),
            1,
        );
        let same = plan_runs(
            Profile::Quick,
            &datasets(),
            &default_models(Profile::Quick),
            1,
        );
        assert_eq!(runs[0].config_hash(), same[0].config_hash());
        assert_ne!(runs[0].config_hash(), runs[1].config_hash());
        let mut changed = runs[0].clone();
        changed.recipe.epochs += 1;
        assert_ne!(runs[0].config_hash(), changed.config_hash());
    }

    #[test]
    fn idx_directories_get_a_safe_directory_name() {
        let name = |s: &str| s.parse::<DatasetName>().unwrap();
        assert_eq!(dataset_dir_name(&name("idx:/tmp/x y/digits")), "idx-digits");
        assert_eq!(dataset_dir_name(&name("cifar10")), "cifar10");
        assert_eq!(dataset_dir_name(&name("imagenet")), "imagenet");
        assert_eq!(dataset_kind(&name("idx:/tmp/d")), DatasetKind::Mnist);
        assert_eq!(dataset_kind(&name("cifar100")), DatasetKind::Cifar);
        assert_eq!(dataset_kind(&name("CIFAR-10")), DatasetKind::Cifar);
        assert_eq!(dataset_kind(&name("imagenet")), DatasetKind::ImageNet);
    }

    #[test]
    fn toy_defaults_are_twenty_layers_deep() {
        assert_eq!(
            default_models(Profile::Toy),
            vec!["plainnet-20", "resnet-20", "resnext-20"]
        );
    }
}

//! The data sets of a reproduction, each obtained once (fetched and verified by deepskip-data)
//! and shared by its runs; one that cannot be obtained keeps the reason its runs are skipped.

use super::plan::{dataset_kind, PlannedRun};
use super::profile::{DatasetKind, Profile};
use crate::{StudyEvent, StudyObserver};
use deepskip_data::{Augmentation, DataSource, Dataset, DatasetName};
use std::collections::HashMap;
use std::path::PathBuf;

/// Every requested data set, loaded or with the reason it could not be.
#[derive(Debug)]
pub struct DataCache {
    sets: HashMap<DatasetName, Result<Dataset, String>>,
}

impl DataCache {
    /// Loads each data set in `datasets`. A profile whose recipe turns augmentation off gets the
    /// data set without it.
    pub fn obtain(
        datasets: &[DatasetName],
        data_dir: Option<PathBuf>,
        profile: Profile,
        events: &dyn StudyObserver,
    ) -> DataCache {
        let source = DataSource::from_env(data_dir);
        let sets = datasets
            .iter()
            .map(|name| {
                let augment = profile.recipe(dataset_kind(name)).augment;
                (name.clone(), load_one(name, &source, augment, events))
            })
            .collect();
        DataCache { sets }
    }

    /// The loaded data set, or the reason it is not available.
    pub fn get(&self, dataset: &DatasetName) -> Result<&Dataset, String> {
        match self.sets.get(dataset) {
            Some(Ok(set)) => Ok(set),
            Some(Err(reason)) => Err(reason.clone()),
            None => Err(format!("data set {dataset} was not requested")),
        }
    }

    /// The trainable parameters of `run`'s model at its width, fitted to its data set's
    /// channels and classes (the paper's 3 channels and 10 classes when the data is missing).
    pub fn param_count(&self, run: &PlannedRun) -> u64 {
        let (channels, classes) = match self.get(&run.dataset) {
            Ok(set) => (
                set.train.shape.channels as i64,
                set.train.num_classes as i64,
            ),
            Err(_) => fallback_input(&run.dataset),
        };
        run.model
            .parse::<deepskip_models::ModelSpec>()
            .and_then(|s| s.with_width_multiplier(run.recipe.width_multiplier))
            .and_then(|s| s.with_input(channels, classes))
            .map(|s| s.param_count())
            .unwrap_or(0)
    }
}

fn load_one(
    name: &DatasetName,
    source: &DataSource,
    augment: bool,
    events: &dyn StudyObserver,
) -> Result<Dataset, String> {
    events.on_event(StudyEvent::DataLoading {
        dataset: name.to_string(),
    });
    let mut dataset = deepskip_data::load(name, source).map_err(|e| {
        let reason = format!("{name} could not be obtained: {e}");
        events.on_event(StudyEvent::DataUnavailable {
            reason: reason.clone(),
        });
        reason
    })?;
    if !augment {
        dataset.augmentation = Augmentation::None;
    }
    events.on_event(StudyEvent::DataLoaded {
        dataset: name.to_string(),
        train: dataset.train.len(),
        test: dataset.test.len(),
        classes: dataset.train.num_classes as usize,
    });
    Ok(dataset)
}

fn fallback_input(dataset: &DatasetName) -> (i64, i64) {
    let classes = dataset.num_classes().unwrap_or(10) as i64;
    let channels = match dataset_kind(dataset) {
        DatasetKind::Mnist => 1,
        DatasetKind::Cifar | DatasetKind::ImageNet => 3,
    };
    (channels, classes)
}

//! The depth sweep: PlainNet and ResNet at depths 6n+2, ResNeXt at a few depths 9n+2, on one
//! data set, with the profile's recipe at every depth (only the depth changes).

use super::study_dataset;
use crate::reproduction::plan::{plan_runs, PlannedRun};
use crate::reproduction::profile::Profile;
use crate::reproduction::summary::model_depth;

/// PlainNet and ResNet depths of the full sweep (He et al. 2016, Fig. 6, up to the paper's 164).
pub const BASIC_DEPTHS: [usize; 7] = [8, 14, 20, 32, 56, 110, 164];
/// ResNeXt depths (9n+2): a few, since a ResNeXt run costs about twice a ResNet one.
pub const GROUPED_DEPTHS: [usize; 4] = [11, 29, 56, 164];

/// The depths of each family under `profile`: the toy profile sweeps the shallowest ones (its
/// own depth, 20, the deepest).
fn depths(profile: Profile) -> (Vec<usize>, Vec<usize>) {
    match profile {
        Profile::Toy => (vec![8, 14, 20], vec![11, 20]),
        _ => (BASIC_DEPTHS.to_vec(), GROUPED_DEPTHS.to_vec()),
    }
}

/// The sweep's runs, shallow to deep, the families side by side at each depth (so that a sweep
/// stopped early has compared them on its shallow end).
pub fn plan(
    profile: Profile,
    datasets: &[deepskip_data::DatasetName],
    seeds: u64,
) -> Vec<PlannedRun> {
    let Some(dataset) = study_dataset(datasets) else {
        return Vec::new();
    };
    let (basic, grouped) = depths(profile);
    let mut models: Vec<(usize, String)> = Vec::new();
    for family in ["plainnet", "resnet"] {
        models.extend(basic.iter().map(|&d| (d, format!("{family}-{d}"))));
    }
    models.extend(grouped.iter().map(|&d| (d, format!("resnext-{d}"))));
    // Stable: at equal depth, PlainNet, ResNet, ResNeXt.
    models.sort_by_key(|(depth, _)| *depth);
    let models: Vec<String> = models.into_iter().map(|(_, m)| m).collect();
    plan_runs(profile, &[dataset], &models, seeds)
        .into_iter()
        .map(|mut run| {
            run.recipe.depth = model_depth(&run.model);
            run
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_depth_is_a_valid_model_and_only_the_depth_changes() {
        let runs = plan(
            Profile::Quick,
            &[
                deepskip_data::DatasetName::Cifar10,
                deepskip_data::DatasetName::Mnist,
            ],
            1,
        );
        assert_eq!(runs.len(), 2 * BASIC_DEPTHS.len() + GROUPED_DEPTHS.len());
        for run in &runs {
            assert_eq!(run.dataset, deepskip_data::DatasetName::Mnist);
            assert!(
                run.model.parse::<deepskip_models::ModelSpec>().is_ok(),
                "{}",
                run.model
            );
            assert_eq!(
                run.recipe.depth,
                super::super::super::summary::model_depth(&run.model)
            );
            let mut same = run.recipe.clone();
            same.depth = runs[0].recipe.depth;
            assert_eq!(same, runs[0].recipe);
        }
        let models: Vec<&str> = runs.iter().map(|r| r.model.as_str()).collect();
        assert_eq!(
            models[..4],
            ["plainnet-8", "resnet-8", "resnext-11", "plainnet-14"]
        );
        assert_eq!(
            models[models.len() - 3..],
            ["plainnet-164", "resnet-164", "resnext-164"]
        );
    }
}

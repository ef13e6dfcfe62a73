//! The initialisation study: PlainNet at the profile's depth on every data set, He (the
//! paper's) next to delta-orthogonal (Xiao et al. 2018), same recipe and seeds.

use crate::reproduction::plan::{plan_runs, PlannedRun};
use crate::reproduction::profile::{DatasetKind, Profile};
use deepskip_models::Init;

/// Both initialisations of PlainNet-<depth>, data set by data set, He first.
pub fn plan(
    profile: Profile,
    datasets: &[deepskip_data::DatasetName],
    seeds: u64,
) -> Vec<PlannedRun> {
    let model = format!("plainnet-{}", profile.recipe(DatasetKind::Mnist).depth);
    let mut out = Vec::new();
    for dataset in datasets {
        for init in Init::ALL {
            out.extend(
                plan_runs(
                    profile,
                    std::slice::from_ref(dataset),
                    std::slice::from_ref(&model),
                    seeds,
                )
                .into_iter()
                .map(|run| PlannedRun { init, ..run }),
            );
        }
    }
    out
}

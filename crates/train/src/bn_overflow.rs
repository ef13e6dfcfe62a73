//! Per-epoch tally of dead BN layers (see `deepskip_models::BnWatch`), kept on the device so
//! that training adds no host read per step: one read per epoch.

use deepskip_models::{dead_indices, BnWatch};
use deepskip_runs::schema::BnOverflow;
use tch::{Kind, Tensor};

/// What the watched training steps of one epoch saw.
#[derive(Debug, Default)]
pub(crate) struct BnOverflowTally {
    /// Per layer: dead at some step.
    ever: Option<Tensor>,
    /// Steps with a dead layer (0-d int64).
    steps: Option<Tensor>,
    /// First step with a dead layer, `i64::MAX` while there was none (0-d int64).
    first_step: Option<Tensor>,
}

impl BnOverflowTally {
    /// Adds the flags `watch` collected during training step `step` (1-based) and clears it.
    pub fn add_step(&mut self, watch: &BnWatch, layer_count: usize, step: u64) {
        let Some(flags) = watch.flags(layer_count) else {
            return;
        };
        watch.clear();
        let any = flags.any();
        let step_if_dead = Tensor::from(step as i64)
            .to_device(any.device())
            .where_scalarother(&any, i64::MAX);
        self.ever = Some(match self.ever.take() {
            Some(ever) => ever.logical_or(&flags),
            None => flags,
        });
        let any = any.to_kind(Kind::Int64);
        self.steps = Some(match self.steps.take() {
            Some(steps) => steps + any,
            None => any,
        });
        self.first_step = Some(match self.first_step.take() {
            Some(first) => first.minimum(&step_if_dead),
            None => step_if_dead,
        });
    }

    /// The epoch's record (one host read), `None` when no BN layer was dead.
    pub fn finish(self) -> Option<BnOverflow> {
        let dead = dead_indices(&self.ever?);
        let first_layer = *dead.first()?;
        Some(BnOverflow {
            first_layer,
            layers: dead.len(),
            steps: self.steps.map_or(0, |s| s.int64_value(&[]) as u64),
            first_step: self.first_step.map_or(0, |s| s.int64_value(&[]) as u64),
        })
    }
}

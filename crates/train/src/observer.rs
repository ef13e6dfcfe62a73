//! A read-only look at the training state at chosen steps, for studies that follow a run
//! through training (weights and gradients at log-spaced steps) without changing it.

use tch::nn::VarStore;

/// What an observer reports when it cannot record a step (the run then stops with
/// [`crate::TrainError::Observer`]).
pub type ObserverError = Box<dyn std::error::Error + Send + Sync>;

/// Sees the weights and gradients of a run at the steps it [`wants`](StepObserver::wants).
///
/// At step `s` (the number of updates applied so far) [`weights`](StepObserver::weights) sees
/// the weights and BN running statistics before the forward pass of update `s + 1`, and
/// [`gradients`](StepObserver::gradients) then sees that update's gradient (computed at those
/// weights, unscaled, before the optimiser applies it). After the last update of a finished run
/// only `weights` is called. An observer must not modify `vs`: the run goes on with it.
pub trait StepObserver: std::fmt::Debug + Send + Sync {
    fn wants(&self, step: u64) -> bool;
    fn weights(&self, step: u64, vs: &VarStore) -> Result<(), ObserverError>;
    /// `grad_scale`: the factor the loss was multiplied by before backward (1 without AMP).
    fn gradients(&self, step: u64, vs: &VarStore, grad_scale: f64) -> Result<(), ObserverError>;
}

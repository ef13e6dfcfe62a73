//! What one forward pass needs besides its input: train or eval mode, how BN computes its
//! statistics, and where BN health is recorded.

use crate::bn_health::BnWatch;
use crate::precision::BnStats;

#[derive(Debug, Clone, Copy)]
pub(crate) struct Pass<'a> {
    /// Train mode: BN normalises with batch statistics and updates its running ones.
    pub train: bool,
    pub bn_stats: BnStats,
    pub watch: Option<&'a BnWatch>,
}

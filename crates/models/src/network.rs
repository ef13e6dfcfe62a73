//! [`Network`]: every family built from a [`ModelSpec`], with streamed per-layer taps.

use crate::blueprint::Blueprint;
use crate::bn_health::BnWatch;
use crate::error::ModelError;
use crate::init::linear_config;
use crate::pass::Pass;
use crate::precision::BnStats;
use crate::residual_block::ResidualBlock;
use crate::selection::{LayerInfo, LayerSelection, LayerWeight, Tap};
use crate::shortcut::ShortcutPath;
use crate::spec::ModelSpec;
use crate::stem::Stem;
use std::convert::Infallible;
use tch::{nn, Tensor};

/// A PlainNet, ResNet, ResNeXt or PlainNeXt of any supported depth.
///
/// Variable names: `stem.conv.weight`, `stem.bn.*`, `stage{s}.block{b}.conv{i}.{conv,bn}.*`,
/// `stage{s}.block{b}.shortcut.{conv,bn}.*` (projections), `fc.{weight,bias}`.
#[derive(Debug)]
pub struct Network {
    spec: ModelSpec,
    stem: Stem,
    blocks: Vec<ResidualBlock>,
    fc: nn::Linear,
    layers: Vec<LayerInfo>,
    bn_stats: BnStats,
}

impl Network {
    /// Builds and initialises the network under `vs`.
    ///
    /// Main-path variables (stem, block convolutions, classifier) are created first, in forward
    /// order, and projections last, so with the same `tch::manual_seed` a network and its
    /// shortcut-free twin get identical weights layer by layer, whatever the shortcut option.
    pub fn new(vs: &nn::Path, spec: &ModelSpec) -> Result<Network, ModelError> {
        spec.validate()?;
        let plan = Blueprint::of(spec);
        let stem = Stem::new(&(vs / "stem"), &plan.stem);
        let mut blocks: Vec<ResidualBlock> = plan
            .blocks
            .iter()
            .map(|b| ResidualBlock::new(&block_path(vs, &b.name), b))
            .collect();
        let fc = nn::linear(
            vs / "fc",
            plan.classifier_in,
            plan.num_classes,
            linear_config(),
        );
        for (block, b) in blocks.iter_mut().zip(&plan.blocks) {
            block.shortcut = ShortcutPath::new(&block_path(vs, &b.name), &b.shortcut);
        }
        let layers = plan
            .layer_names()
            .into_iter()
            .enumerate()
            .map(|(i, name)| LayerInfo { index: i + 1, name })
            .collect();
        let network = Network {
            spec: spec.clone(),
            stem,
            blocks,
            fc,
            layers,
            bn_stats: BnStats::Native,
        };
        spec.init.apply(&network.layer_weights());
        Ok(network)
    }

    /// The same network with its BN layers computing their statistics as `bn_stats` says.
    pub fn with_bn_stats(mut self, bn_stats: BnStats) -> Network {
        self.bn_stats = bn_stats;
        self
    }

    pub fn bn_stats(&self) -> BnStats {
        self.bn_stats
    }

    pub fn spec(&self) -> &ModelSpec {
        &self.spec
    }

    /// Every weighted layer, index 1 to [`ModelSpec::layer_count`].
    pub fn layers(&self) -> &[LayerInfo] {
        &self.layers
    }

    /// The logits, calling `on_tap` with each selected weighted layer's output as soon as it is
    /// computed. Tap points (see docs/architectures.md): the stem after BN+ReLU (and max-pool on
    /// ImageNet); a block's inner convolutions after BN+ReLU; a block's last convolution as the
    /// block output (after the shortcut addition and ReLU); the classifier as the logits.
    /// Unselected outputs are dropped as the pass moves on, as in a plain forward. The first
    /// error `on_tap` returns stops the pass (no later layer is computed) and is returned.
    pub fn forward_with_taps<E>(
        &self,
        xs: &Tensor,
        train: bool,
        selection: &LayerSelection,
        on_tap: &mut dyn FnMut(Tap<'_>) -> Result<(), E>,
    ) -> Result<Tensor, E> {
        self.forward_pass(xs, self.pass(train, None), selection, on_tap)
    }

    /// [`Network::forward_with_taps`] that also records each BN layer's health in `watch`
    /// (see [`BnWatch`]): device-side flags, no host read.
    pub fn forward_watched<E>(
        &self,
        xs: &Tensor,
        train: bool,
        selection: &LayerSelection,
        on_tap: &mut dyn FnMut(Tap<'_>) -> Result<(), E>,
        watch: &BnWatch,
    ) -> Result<Tensor, E> {
        self.forward_pass(xs, self.pass(train, Some(watch)), selection, on_tap)
    }

    fn pass<'w>(&self, train: bool, watch: Option<&'w BnWatch>) -> Pass<'w> {
        Pass {
            train,
            bn_stats: self.bn_stats,
            watch,
        }
    }

    fn forward_pass<E>(
        &self,
        xs: &Tensor,
        pass: Pass<'_>,
        selection: &LayerSelection,
        on_tap: &mut dyn FnMut(Tap<'_>) -> Result<(), E>,
    ) -> Result<Tensor, E> {
        let mut emit = |index: usize, output: &Tensor| {
            if !selection.contains(index) {
                return Ok(());
            }
            on_tap(Tap {
                index,
                name: &self.layers[index - 1].name,
                output,
            })
        };
        let mut h = self.stem.forward(xs, &pass);
        emit(1, &h)?;
        let mut next = 2;
        for block in &self.blocks {
            let first = next;
            let mut count = 0;
            h = block.forward(&h, &pass, first, &mut |local, out| {
                count += 1;
                emit(first + local, out)
            })?;
            next += count;
        }
        let logits = h.adaptive_avg_pool2d([1, 1]).flatten(1, -1).apply(&self.fc);
        emit(next, &logits)?;
        Ok(logits)
    }

    /// Each weighted layer's weight in the numbering of [`Network::layers`].
    pub fn layer_weights(&self) -> Vec<LayerWeight> {
        let weights = std::iter::once((self.stem.weight(), 1))
            .chain(self.blocks.iter().flat_map(ResidualBlock::weights))
            .chain(std::iter::once((&self.fc.ws, 1)));
        weights
            .zip(&self.layers)
            .map(|((w, groups), info)| LayerWeight {
                index: info.index,
                name: info.name.clone(),
                weight: w.shallow_clone(),
                groups,
            })
            .collect()
    }
}

/// `stage{s}.block{b}` as a variable path (tch joins path components with dots).
fn block_path<'a>(vs: &nn::Path<'a>, name: &str) -> nn::Path<'a> {
    let (stage, block) = name.split_once('.').unwrap_or((name, "block"));
    vs / stage / block
}

impl nn::ModuleT for Network {
    fn forward_t(&self, xs: &Tensor, train: bool) -> Tensor {
        let no_taps = LayerSelection::Only(Vec::new());
        let Ok(logits) = self.forward_with_taps::<Infallible>(xs, train, &no_taps, &mut |_| Ok(()));
        logits
    }
}

//! [`ModelSpec`]: what network to build, parsed from names like `resnet-164`.

use crate::blueprint::{imagenet_stages, Blueprint};
use crate::error::ModelError;
use crate::family::{Family, InputKind, Shortcut};
use crate::init_scheme::Init;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Depths beyond this are refused: they would not fit any memory and only arise from typos.
const MAX_DEPTH: usize = 10_002;
/// Upper bound for channel counts and groups, for the same reason.
const MAX_CHANNELS: i64 = 1 << 16;
const IMAGENET_BASIC_DEPTHS: [usize; 5] = [18, 34, 50, 101, 152];
const IMAGENET_GROUPED_DEPTHS: [usize; 3] = [50, 101, 152];

/// A complete, validated description of one network.
///
/// Widths: `cardinality * bottleneck_width` is the width of the first stage's 3x3 convolutions
/// and doubles per stage (basic blocks: the stage width itself, so `cardinality` is 1).
/// Every channel count is multiplied by `width_multiplier` (rounded; grouped widths scale the
/// per-group width so they stay divisible by the cardinality).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawSpec", into = "RawSpec")]
pub struct ModelSpec {
    pub family: Family,
    /// Number of weighted layers (main-path convolutions plus the classifier).
    pub depth: usize,
    pub width_multiplier: f64,
    /// Groups of the 3x3 bottleneck convolutions (1 for non-ResNeXt families).
    pub cardinality: i64,
    /// Per-group width of the first stage's 3x3 convolutions.
    pub bottleneck_width: i64,
    /// How residual families handle shape changes; ignored by plain families.
    pub shortcut: Shortcut,
    pub in_channels: i64,
    pub num_classes: i64,
    pub input: InputKind,
    /// How the main-path convolutions are initialised (He by default, as in the paper).
    pub init: Init,
}

/// The serialised form; deserialising validates it.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct RawSpec {
    family: Family,
    depth: usize,
    width_multiplier: f64,
    cardinality: i64,
    bottleneck_width: i64,
    shortcut: Shortcut,
    in_channels: i64,
    num_classes: i64,
    input: InputKind,
    /// Absent in specs recorded before it existed (they were all He).
    #[serde(default, skip_serializing_if = "is_he")]
    init: Init,
}

fn is_he(init: &Init) -> bool {
    *init == Init::He
}

impl TryFrom<RawSpec> for ModelSpec {
    type Error = ModelError;
    fn try_from(r: RawSpec) -> Result<Self, ModelError> {
        let spec = ModelSpec {
            family: r.family,
            depth: r.depth,
            width_multiplier: r.width_multiplier,
            cardinality: r.cardinality,
            bottleneck_width: r.bottleneck_width,
            shortcut: r.shortcut,
            in_channels: r.in_channels,
            num_classes: r.num_classes,
            input: r.input,
            init: r.init,
        };
        spec.validate()?;
        Ok(spec)
    }
}

impl From<ModelSpec> for RawSpec {
    fn from(s: ModelSpec) -> Self {
        RawSpec {
            family: s.family,
            depth: s.depth,
            width_multiplier: s.width_multiplier,
            cardinality: s.cardinality,
            bottleneck_width: s.bottleneck_width,
            shortcut: s.shortcut,
            in_channels: s.in_channels,
            num_classes: s.num_classes,
            input: s.input,
            init: s.init,
        }
    }
}

impl ModelSpec {
    /// The standard network of `family` and `depth`; the input kind is ImageNet for the standard
    /// ImageNet depths (18/34/50/101/152, ResNeXt 50/101/152) and small-image otherwise.
    pub fn new(family: Family, depth: usize) -> Result<ModelSpec, ModelError> {
        Self::for_input(family, depth, default_input(family, depth))
    }

    /// The standard network of `family`, `depth` and `input` with the paper's defaults:
    /// small-image ResNet/PlainNet widths 16/32/64 with option-A shortcuts, small-image ResNeXt
    /// cardinality 4 x 8 (bottlenecks 32/64/128) with projections, ImageNet ResNet widths 64..512
    /// (bottleneck expansion 4), ImageNet ResNeXt 32x4d; 3 input channels; 10 classes
    /// (small-image) or 1000 (ImageNet).
    pub fn for_input(
        family: Family,
        depth: usize,
        input: InputKind,
    ) -> Result<ModelSpec, ModelError> {
        let (cardinality, bottleneck_width, shortcut, num_classes) =
            match (input, family.is_grouped()) {
                (InputKind::SmallImage, false) => (1, 16, Shortcut::A, 10),
                (InputKind::SmallImage, true) => (4, 8, Shortcut::B, 10),
                (InputKind::ImageNet, false) => (1, 64, Shortcut::B, 1000),
                (InputKind::ImageNet, true) => (32, 4, Shortcut::B, 1000),
            };
        let spec = ModelSpec {
            family,
            depth,
            width_multiplier: 1.0,
            cardinality,
            bottleneck_width,
            shortcut,
            in_channels: 3,
            num_classes,
            input,
            init: Init::He,
        };
        spec.validate()?;
        Ok(spec)
    }

    /// Sets the input channels (1 for MNIST) and the number of classes.
    pub fn with_input(self, in_channels: i64, num_classes: i64) -> Result<ModelSpec, ModelError> {
        ModelSpec {
            in_channels,
            num_classes,
            ..self
        }
        .validated()
    }

    /// Multiplies every channel count by `factor`.
    pub fn with_width_multiplier(self, factor: f64) -> Result<ModelSpec, ModelError> {
        ModelSpec {
            width_multiplier: factor,
            ..self
        }
        .validated()
    }

    /// Sets the ResNeXt grouping `cardinality` x `bottleneck_width` (e.g. 32 x 4 for 32x4d).
    pub fn with_grouping(
        self,
        cardinality: i64,
        bottleneck_width: i64,
    ) -> Result<ModelSpec, ModelError> {
        ModelSpec {
            cardinality,
            bottleneck_width,
            ..self
        }
        .validated()
    }

    /// Initialises the main-path convolutions with `init`.
    pub fn with_init(self, init: Init) -> ModelSpec {
        ModelSpec { init, ..self }
    }

    /// Chooses shortcut option A (zero-pad) or B (projection) for residual families.
    pub fn with_shortcut(self, shortcut: Shortcut) -> ModelSpec {
        ModelSpec { shortcut, ..self }
    }

    /// The same network with every shortcut removed (ResNet -> PlainNet, ResNeXt -> PlainNeXt).
    pub fn without_shortcuts(self) -> ModelSpec {
        ModelSpec {
            family: self.family.plain(),
            ..self
        }
    }

    fn validated(self) -> Result<ModelSpec, ModelError> {
        self.validate()?;
        Ok(self)
    }

    /// Checks every field; the errors say which values are valid.
    pub fn validate(&self) -> Result<(), ModelError> {
        self.validate_depth()?;
        let wm = self.width_multiplier;
        if !(wm.is_finite() && wm > 0.0 && wm <= 64.0) {
            return Err(ModelError::InvalidWidthMultiplier { value: wm });
        }
        let grouping_error = |reason| ModelError::InvalidGrouping {
            family: self.family,
            cardinality: self.cardinality,
            bottleneck_width: self.bottleneck_width,
            reason,
        };
        if !(1..=MAX_CHANNELS).contains(&self.cardinality)
            || !(1..=MAX_CHANNELS).contains(&self.bottleneck_width)
        {
            return Err(grouping_error("both must be between 1 and 65536"));
        }
        if !self.family.is_grouped() && self.cardinality != 1 {
            return Err(grouping_error(
                "only resnext/plainnext have grouped convolutions; use cardinality 1",
            ));
        }
        if !(1..=MAX_CHANNELS).contains(&self.in_channels)
            || !(1..=MAX_CHANNELS).contains(&self.num_classes)
        {
            return Err(ModelError::InvalidInput {
                in_channels: self.in_channels,
                num_classes: self.num_classes,
            });
        }
        Ok(())
    }

    fn validate_depth(&self) -> Result<(), ModelError> {
        let depth = self.depth;
        let invalid = |rule, valid_examples: String| ModelError::InvalidDepth {
            family: self.family,
            input: self.input,
            depth,
            rule,
            valid_examples,
        };
        let list = |depths: &[usize]| {
            depths
                .iter()
                .map(usize::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        };
        match (self.input, self.family.is_grouped()) {
            (InputKind::SmallImage, false)
                if !(8..=MAX_DEPTH).contains(&depth) || (depth - 2) % 6 != 0 =>
            {
                Err(invalid(
                    "6n+2 with n >= 1 (n basic blocks per stage)",
                    nearest(depth, 6),
                ))
            }
            (InputKind::SmallImage, true)
                if !(11..=MAX_DEPTH).contains(&depth) || (depth - 2) % 9 != 0 =>
            {
                Err(invalid(
                    "9n+2 with n >= 1 (n bottleneck blocks per stage)",
                    nearest(depth, 9),
                ))
            }
            (InputKind::ImageNet, false) if !IMAGENET_BASIC_DEPTHS.contains(&depth) => Err(
                invalid("a standard ImageNet depth", list(&IMAGENET_BASIC_DEPTHS)),
            ),
            (InputKind::ImageNet, true) if !IMAGENET_GROUPED_DEPTHS.contains(&depth) => {
                Err(invalid(
                    "a standard ImageNet ResNeXt depth",
                    list(&IMAGENET_GROUPED_DEPTHS),
                ))
            }
            _ => Ok(()),
        }
    }

    /// Blocks per stage of a small-image network (n in 6n+2 or 9n+2).
    pub(crate) fn small_image_blocks_per_stage(&self) -> usize {
        let per_block = if self.family.is_grouped() { 9 } else { 6 };
        self.depth.saturating_sub(2) / per_block
    }

    /// Trainable parameters (conv weights, BN weights and biases, classifier), computed from the
    /// layer shapes without building anything. BN running statistics are buffers, not counted.
    pub fn param_count(&self) -> u64 {
        Blueprint::of(self).param_count()
    }

    /// Weighted layers: main-path convolutions plus the classifier (projections not counted).
    pub fn layer_count(&self) -> usize {
        let (blocks, convs_per_block) = match self.input {
            InputKind::SmallImage => (
                3 * self.small_image_blocks_per_stage(),
                if self.family.is_grouped() { 3 } else { 2 },
            ),
            InputKind::ImageNet => match imagenet_stages(self.depth) {
                Some((stages, bottleneck)) => (stages.iter().sum(), if bottleneck { 3 } else { 2 }),
                None => (0, 0),
            },
        };
        2 + blocks * convs_per_block
    }

    /// Names of the weighted layers in forward order: `stem.conv`, `stage{s}.block{b}.conv{i}`,
    /// `fc`; name `i - 1` belongs to layer `i`.
    pub fn layer_names(&self) -> Vec<String> {
        Blueprint::of(self).layer_names()
    }

    /// The canonical name, e.g. `resnet-164`, `cifar-resnet-50`, `resnext-101-32x4d`.
    pub fn name(&self) -> String {
        self.to_string()
    }
}

fn default_input(family: Family, depth: usize) -> InputKind {
    let imagenet: &[usize] = if family.is_grouped() {
        &IMAGENET_GROUPED_DEPTHS
    } else {
        &IMAGENET_BASIC_DEPTHS
    };
    if imagenet.contains(&depth) {
        InputKind::ImageNet
    } else {
        InputKind::SmallImage
    }
}

/// Valid depths k*n+2 around `depth`, for error messages.
fn nearest(depth: usize, k: usize) -> String {
    let n = (depth.saturating_sub(2) / k).clamp(1, (MAX_DEPTH - 2) / k);
    let mut depths: Vec<usize> = [n.saturating_sub(1), n, n + 1]
        .iter()
        .filter(|&&m| m >= 1)
        .map(|m| k * m + 2)
        .collect();
    depths.dedup();
    let shown: Vec<String> = depths.iter().map(usize::to_string).collect();
    format!(
        "{} (e.g. 20, 56, 110, 164 for 6n+2; 29, 164 for 9n+2)",
        shown.join(", ")
    )
}

impl fmt::Display for ModelSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.input != default_input(self.family, self.depth) {
            write!(f, "{}-", self.input.prefix())?;
        }
        write!(f, "{}-{}", self.family, self.depth)?;
        if self.family.is_grouped() {
            let default = ModelSpec::for_input(self.family, self.depth, self.input);
            let is_default = default
                .map(|d| {
                    d.cardinality == self.cardinality && d.bottleneck_width == self.bottleneck_width
                })
                .unwrap_or(false);
            if !is_default {
                write!(f, "-{}x{}d", self.cardinality, self.bottleneck_width)?;
            }
        }
        Ok(())
    }
}

impl FromStr for ModelSpec {
    type Err = ModelError;

    /// Parses `[cifar-|imagenet-]<family>-<depth>[-<C>x<d>d]`, case-insensitive.
    fn from_str(name: &str) -> Result<ModelSpec, ModelError> {
        let unknown = |reason: &str| ModelError::UnknownModel {
            name: name.to_string(),
            reason: reason.to_string(),
        };
        let lower = name.trim().to_ascii_lowercase();
        let mut parts: Vec<&str> = lower.split('-').collect();
        let input = match parts.first() {
            Some(&"cifar") | Some(&"mnist") | Some(&"small") => Some(InputKind::SmallImage),
            Some(&"imagenet") => Some(InputKind::ImageNet),
            _ => None,
        };
        if input.is_some() {
            parts.remove(0);
        }
        let (family, depth, grouping) = match parts.as_slice() {
            [family, depth] => (*family, *depth, None),
            [family, depth, grouping] => (*family, *depth, Some(*grouping)),
            _ => return Err(unknown("wrong number of `-`-separated parts")),
        };
        let family = Family::ALL
            .into_iter()
            .find(|f| f.name() == family)
            .ok_or_else(|| {
                unknown("the family is not one of plainnet, resnet, resnext, plainnext")
            })?;
        let depth: usize = depth
            .parse()
            .map_err(|_| unknown("the depth is not a whole number"))?;
        let spec = ModelSpec::for_input(
            family,
            depth,
            input.unwrap_or_else(|| default_input(family, depth)),
        )?;
        match grouping {
            None => Ok(spec),
            Some(g) => {
                let (c, d) = g
                    .strip_suffix('d')
                    .and_then(|g| g.split_once('x'))
                    .and_then(|(c, d)| Some((c.parse::<i64>().ok()?, d.parse::<i64>().ok()?)))
                    .ok_or_else(|| unknown("the grouping suffix must look like 32x4d"))?;
                spec.with_grouping(c, d)
            }
        }
    }
}

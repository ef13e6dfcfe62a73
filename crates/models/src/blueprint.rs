//! The concrete layer plan of a [`ModelSpec`]: every convolution's shape, in forward order.
//!
//! Both the parameter arithmetic ([`ModelSpec::param_count`]) and [`crate::Network::new`] read
//! this plan, so the counted and the built network cannot drift apart.

use crate::family::{InputKind, Shortcut};
use crate::spec::ModelSpec;

/// A convolution followed by batch normalisation (no conv bias).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ConvPlan {
    pub in_channels: i64,
    pub out_channels: i64,
    pub kernel: i64,
    pub stride: i64,
    pub padding: i64,
    pub groups: i64,
}

impl ConvPlan {
    pub fn new(in_channels: i64, out_channels: i64, kernel: i64, stride: i64, groups: i64) -> Self {
        ConvPlan {
            in_channels,
            out_channels,
            kernel,
            stride,
            padding: kernel / 2,
            groups,
        }
    }

    /// Conv weight plus BN weight and bias (running statistics are buffers, not parameters).
    pub fn param_count(&self) -> u64 {
        let weight =
            self.out_channels * (self.in_channels / self.groups) * self.kernel * self.kernel;
        (weight + 2 * self.out_channels) as u64
    }
}

/// What a block adds to its main path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ShortcutPlan {
    /// Plain networks: no addition at all.
    None,
    Identity,
    /// Option A: keep every `stride`-th pixel and append `extra_channels` zero channels.
    ZeroPad {
        stride: i64,
        extra_channels: i64,
    },
    /// Option B (or ResNeXt default): 1x1 conv + BN.
    Projection(ConvPlan),
}

impl ShortcutPlan {
    pub fn param_count(&self) -> u64 {
        match self {
            ShortcutPlan::Projection(conv) => conv.param_count(),
            _ => 0,
        }
    }
}

/// One block: its main-path convolutions in order (2 for basic, 3 for bottleneck) and shortcut.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BlockPlan {
    /// `stage{s}.block{b}`, both 1-based.
    pub name: String,
    pub convs: Vec<ConvPlan>,
    pub shortcut: ShortcutPlan,
}

/// The network's first convolution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct StemPlan {
    pub conv: ConvPlan,
    /// ImageNet stems end with a 3x3 stride-2 max-pool.
    pub max_pool: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Blueprint {
    pub stem: StemPlan,
    pub blocks: Vec<BlockPlan>,
    pub classifier_in: i64,
    pub num_classes: i64,
}

/// Blocks per stage of the standard ImageNet depths, and whether they are bottlenecks.
pub(crate) fn imagenet_stages(depth: usize) -> Option<([usize; 4], bool)> {
    match depth {
        18 => Some(([2, 2, 2, 2], false)),
        34 => Some(([3, 4, 6, 3], false)),
        50 => Some(([3, 4, 6, 3], true)),
        101 => Some(([3, 4, 23, 3], true)),
        152 => Some(([3, 8, 36, 3], true)),
        _ => None,
    }
}

impl Blueprint {
    /// The plan of a spec that [`ModelSpec::validate`] accepted.
    pub fn of(spec: &ModelSpec) -> Blueprint {
        let scale = |c: i64| ((c as f64 * spec.width_multiplier).round() as i64).max(1);
        // Grouped widths stay a multiple of the cardinality: scale the per-group width.
        let grouped = |per_group: i64| spec.cardinality * scale(per_group);
        let bw = spec.bottleneck_width;
        let (stem, stages): (StemPlan, Vec<StageShape>) = match spec.input {
            InputKind::SmallImage => {
                let n = spec.small_image_blocks_per_stage();
                if spec.family.is_grouped() {
                    let stem_out = scale(64);
                    let stages = (0..3)
                        .map(|s| StageShape {
                            blocks: n,
                            bottleneck: Some(grouped(bw << s)),
                            out: scale(64 << s),
                        })
                        .collect();
                    (small_stem(spec.in_channels, stem_out), stages)
                } else {
                    let stem_out = scale(bw);
                    let stages = (0..3)
                        .map(|s| StageShape {
                            blocks: n,
                            bottleneck: None,
                            out: scale(bw << s),
                        })
                        .collect();
                    (small_stem(spec.in_channels, stem_out), stages)
                }
            }
            InputKind::ImageNet => {
                let (blocks, bottleneck) = imagenet_stages(spec.depth).unwrap_or(([0; 4], false));
                let stages = (0..4)
                    .map(|s| {
                        if bottleneck {
                            StageShape {
                                blocks: blocks[s],
                                bottleneck: Some(grouped(bw << s)),
                                out: scale(256 << s),
                            }
                        } else {
                            StageShape {
                                blocks: blocks[s],
                                bottleneck: None,
                                out: scale(bw << s),
                            }
                        }
                    })
                    .collect();
                let stem = StemPlan {
                    conv: ConvPlan::new(spec.in_channels, scale(64), 7, 2, 1),
                    max_pool: true,
                };
                (stem, stages)
            }
        };
        let mut blocks = Vec::new();
        let mut in_c = stem.conv.out_channels;
        for (s, stage) in stages.iter().enumerate() {
            for b in 0..stage.blocks {
                let stride = if s > 0 && b == 0 { 2 } else { 1 };
                let convs = match stage.bottleneck {
                    None => vec![
                        ConvPlan::new(in_c, stage.out, 3, stride, 1),
                        ConvPlan::new(stage.out, stage.out, 3, 1, 1),
                    ],
                    Some(width) => vec![
                        ConvPlan::new(in_c, width, 1, 1, 1),
                        ConvPlan::new(width, width, 3, stride, spec.cardinality),
                        ConvPlan::new(width, stage.out, 1, 1, 1),
                    ],
                };
                let shortcut = shortcut_plan(spec, in_c, stage.out, stride);
                blocks.push(BlockPlan {
                    name: format!("stage{}.block{}", s + 1, b + 1),
                    convs,
                    shortcut,
                });
                in_c = stage.out;
            }
        }
        Blueprint {
            stem,
            blocks,
            classifier_in: in_c,
            num_classes: spec.num_classes,
        }
    }

    pub fn param_count(&self) -> u64 {
        let blocks: u64 = self
            .blocks
            .iter()
            .map(|b| {
                b.convs.iter().map(ConvPlan::param_count).sum::<u64>() + b.shortcut.param_count()
            })
            .sum();
        let classifier = (self.classifier_in * self.num_classes + self.num_classes) as u64;
        self.stem.conv.param_count() + blocks + classifier
    }

    /// Names of the weighted layers in forward order (index `i` is layer `i + 1`).
    pub fn layer_names(&self) -> Vec<String> {
        let mut names = vec!["stem.conv".to_string()];
        for block in &self.blocks {
            names.extend((1..=block.convs.len()).map(|i| format!("{}.conv{i}", block.name)));
        }
        names.push("fc".to_string());
        names
    }
}

struct StageShape {
    blocks: usize,
    /// Width of the bottleneck (all groups together); `None` for basic blocks.
    bottleneck: Option<i64>,
    out: i64,
}

fn small_stem(in_channels: i64, out: i64) -> StemPlan {
    StemPlan {
        conv: ConvPlan::new(in_channels, out, 3, 1, 1),
        max_pool: false,
    }
}

fn shortcut_plan(spec: &ModelSpec, in_c: i64, out_c: i64, stride: i64) -> ShortcutPlan {
    if !spec.family.has_shortcuts() {
        return ShortcutPlan::None;
    }
    if in_c == out_c && stride == 1 {
        return ShortcutPlan::Identity;
    }
    match spec.shortcut {
        // Option A cannot drop channels; a projection is the only way then.
        Shortcut::A if out_c >= in_c => ShortcutPlan::ZeroPad {
            stride,
            extra_channels: out_c - in_c,
        },
        _ => ShortcutPlan::Projection(ConvPlan::new(in_c, out_c, 1, stride, 1)),
    }
}

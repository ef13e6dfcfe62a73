//! Comparing two models' hidden representations on like-for-like layers only.
//!
//! A median over all tapped layers mixes layers that cannot be compared: ResNeXt-164 taps
//! three layers per block (two inner convolutions and the block output), ResNet-164 two, and
//! their widths differ (at the paper's widths ResNet's block outputs have D = 16,384, 8,192,
//! 4,096, ResNeXt's 65,536, 32,768, 16,384), so the cap on a finite kappa differs too (under
//! `numpy-f32` it is `2^23 / max(N, D)`). Here only block outputs (what the next block sees)
//! of the same D are compared, and a singular layer is counted, not a reason to leave a model
//! out: medians are over the finite layers, the singular ones are counted beside them.

use crate::paper_reference::model_label;
use deepskip_spectra::records::LayerConditionRow;

/// Where a tapped layer sits in its network (see docs/architectures.md, "Tap points").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TapKind {
    /// `stem.conv`.
    Stem,
    /// A block's convolution other than its last (after BN and ReLU).
    Inner,
    /// A block's last convolution: the block output, after the addition and ReLU.
    BlockOutput,
    /// `fc`, the logits.
    Classifier,
    /// A name outside the models crate's scheme.
    Other,
}

/// `stage{s}.block{b}.conv{i}` -> `(s, b, i)`.
fn block_position(name: &str) -> Option<(usize, usize, usize)> {
    let mut parts = name.split('.');
    let mut number = |prefix: &str| parts.next()?.strip_prefix(prefix)?.parse().ok();
    let position = (number("stage")?, number("block")?, number("conv")?);
    parts.next().is_none().then_some(position)
}

/// The tap kind of every row of one model, in row order: a block convolution is the block
/// output when no row of the same block has a larger convolution index.
pub fn tap_kinds(rows: &[LayerConditionRow]) -> Vec<TapKind> {
    let positions: Vec<Option<(usize, usize, usize)>> =
        rows.iter().map(|r| block_position(&r.name)).collect();
    let last_conv = |stage, block| {
        positions
            .iter()
            .flatten()
            .filter(|p| (p.0, p.1) == (stage, block))
            .map(|p| p.2)
            .max()
    };
    rows.iter()
        .zip(&positions)
        .map(|(row, position)| match (row.name.as_str(), position) {
            (_, Some((s, b, i))) if last_conv(*s, *b) == Some(*i) => TapKind::BlockOutput,
            (_, Some(_)) => TapKind::Inner,
            ("stem.conv", None) => TapKind::Stem,
            ("fc", None) => TapKind::Classifier,
            _ => TapKind::Other,
        })
        .collect()
}

/// `N x D` from a shape such as `500x16384`.
pub(crate) fn matrix_shape(shape: &str) -> Option<(usize, usize)> {
    let (rows, cols) = shape.split_once('x')?;
    Some((rows.trim().parse().ok()?, cols.trim().parse().ok()?))
}

/// One model's block outputs of one width D.
#[derive(Debug, Clone, PartialEq)]
pub struct WidthGroup {
    /// D, the flattened features per sample.
    pub features: usize,
    pub layers: usize,
    /// Of them, the singular ones (rank-deficient or non-finite).
    pub singular: usize,
    /// Median kappa over the finite ones.
    pub median_finite_kappa: Option<f64>,
    /// The stages these layers belong to.
    pub stages: Vec<usize>,
}

impl WidthGroup {
    fn singular_fraction(&self) -> f64 {
        self.singular as f64 / self.layers as f64
    }
}

fn median(mut values: Vec<f64>) -> Option<f64> {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(values[n / 2]),
        _ => Some(0.5 * (values[n / 2 - 1] + values[n / 2])),
    }
}

/// The block-output rows of one model.
fn block_outputs(rows: &[LayerConditionRow]) -> Vec<&LayerConditionRow> {
    rows.iter()
        .zip(tap_kinds(rows))
        .filter(|(_, kind)| *kind == TapKind::BlockOutput)
        .map(|(row, _)| row)
        .collect()
}

/// A model's block outputs grouped by D, narrowest first.
pub fn block_outputs_by_width(rows: &[LayerConditionRow]) -> Vec<WidthGroup> {
    let outputs = block_outputs(rows);
    let mut widths: Vec<usize> = outputs
        .iter()
        .filter_map(|r| matrix_shape(&r.shape).map(|s| s.1))
        .collect();
    widths.sort_unstable();
    widths.dedup();
    widths
        .into_iter()
        .map(|features| {
            let group: Vec<&&LayerConditionRow> = outputs
                .iter()
                .filter(|r| matrix_shape(&r.shape).map(|s| s.1) == Some(features))
                .collect();
            let mut stages: Vec<usize> = group
                .iter()
                .filter_map(|r| block_position(&r.name).map(|p| p.0))
                .collect();
            stages.dedup();
            WidthGroup {
                features,
                layers: group.len(),
                singular: group.iter().filter(|r| r.is_singular()).count(),
                median_finite_kappa: median(
                    group
                        .iter()
                        .filter(|r| !r.is_singular() && r.kappa.is_finite())
                        .map(|r| r.kappa)
                        .collect(),
                ),
                stages,
            }
        })
        .collect()
}

/// Two models' block outputs of one shared width.
#[derive(Debug, Clone, PartialEq)]
pub struct WidthComparison {
    pub first: WidthGroup,
    pub second: WidthGroup,
}

impl WidthComparison {
    /// Whether `first` is better conditioned: fewer singular layers (as a fraction), else a
    /// smaller median finite kappa; `None` when nothing tells them apart.
    pub fn first_is_better(&self) -> Option<bool> {
        let (a, b) = (
            self.first.singular_fraction(),
            self.second.singular_fraction(),
        );
        if a != b {
            return Some(a < b);
        }
        match (
            self.first.median_finite_kappa,
            self.second.median_finite_kappa,
        ) {
            (Some(x), Some(y)) if x != y => Some(x < y),
            _ => None,
        }
    }
}

/// The widths both models' block outputs have, narrowest first.
pub fn shared_widths(
    first: &[LayerConditionRow],
    second: &[LayerConditionRow],
) -> Vec<WidthComparison> {
    let theirs = block_outputs_by_width(second);
    block_outputs_by_width(first)
        .into_iter()
        .filter_map(|mine| {
            let other = theirs.iter().find(|t| t.features == mine.features)?;
            Some(WidthComparison {
                first: mine,
                second: other.clone(),
            })
        })
        .collect()
}

/// Median over the block outputs of the effective rank as a fraction of `min(N, D)`: a
/// threshold-free measure that does not depend on the width (`None` when no row has one).
pub fn median_normalised_effective_rank(rows: &[LayerConditionRow]) -> Option<f64> {
    median(
        block_outputs(rows)
            .iter()
            .filter_map(|r| {
                let (n, d) = matrix_shape(&r.shape)?;
                let value = r.effective_rank / n.min(d) as f64;
                value.is_finite().then_some(value)
            })
            .collect(),
    )
}

fn stages_text(stages: &[usize]) -> String {
    let list: Vec<String> = stages.iter().map(usize::to_string).collect();
    match list.len() {
        0 => String::new(),
        1 => format!("stage {}", list[0]),
        _ => format!("stages {}", list.join(", ")),
    }
}

fn group_text(model: &str, group: &WidthGroup) -> String {
    format!(
        "{}'s {}, {} layers",
        model_label(model),
        stages_text(&group.stages),
        group.layers
    )
}

fn widths_text(rows: &[LayerConditionRow]) -> String {
    let widths: Vec<String> = block_outputs_by_width(rows)
        .iter()
        .map(|g| g.features.to_string())
        .collect();
    if widths.is_empty() {
        "none".to_string()
    } else {
        widths.join(", ")
    }
}

fn kappa_text(kappa: Option<f64>) -> String {
    kappa.map_or("none finite".to_string(), |k| format!("{k:.3e}"))
}

/// The statements comparing ResNeXt (`resnext`) with ResNet (`resnet`), each `(model, rows)`:
/// one per shared block-output width, or why there is none, and the width-free effective
/// rank. The paper reports ResNeXt the better conditioned.
pub fn resnext_vs_resnet(
    resnext: (&str, &[LayerConditionRow]),
    resnet: (&str, &[LayerConditionRow]),
) -> Vec<String> {
    let (next_name, next_rows) = resnext;
    let (net_name, net_rows) = resnet;
    let (next_label, net_label) = (model_label(next_name), model_label(net_name));
    let shared = shared_widths(next_rows, net_rows);
    let mut out: Vec<String> = shared
        .iter()
        .map(|c| {
            let verdict = match c.first_is_better() {
                Some(true) => "better conditioned than",
                Some(false) => "not better conditioned than",
                None => "conditioned no differently from",
            };
            let paper = match c.first_is_better() {
                Some(true) => "as the paper reports",
                _ => "unlike the paper's finding",
            };
            format!(
                "Like for like (block outputs of the same width D = {}: {}; {}), \
                 {next_label}'s representations are {verdict} {net_label}'s, {paper} (median \
                 finite κ {} vs {}; singular at {} of {} vs {} of {} layers).",
                c.first.features,
                group_text(next_name, &c.first),
                group_text(net_name, &c.second),
                kappa_text(c.first.median_finite_kappa),
                kappa_text(c.second.median_finite_kappa),
                c.first.singular,
                c.first.layers,
                c.second.singular,
                c.second.layers,
            )
        })
        .collect();
    if shared.is_empty()
        && !block_outputs(next_rows).is_empty()
        && !block_outputs(net_rows).is_empty()
    {
        out.push(format!(
            "{next_label}'s and {net_label}'s block outputs share no width D ({next_label}: {}; \
             {net_label}: {}), so their κ are not compared.",
            widths_text(next_rows),
            widths_text(net_rows)
        ));
    }
    if let (Some(a), Some(b)) = (
        median_normalised_effective_rank(next_rows),
        median_normalised_effective_rank(net_rows),
    ) {
        out.push(format!(
            "Over all block outputs, the median effective rank (threshold-free, of the raw \
             N × D matrix) as a fraction of min(N, D) is {a:.3} for {next_label} and {b:.3} for \
             {net_label}."
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A ResNet-style (two taps per block) or ResNeXt-style (three) network's rows.
    fn row(layer: usize, name: &str, d: usize, kappa: f64) -> LayerConditionRow {
        LayerConditionRow {
            layer,
            name: name.into(),
            shape: format!("128x{d}"),
            sigma_max: 1.0,
            sigma_min: 1.0 / kappa,
            kappa,
            effective_rank: 64.0,
            ..LayerConditionRow::default()
        }
    }

    #[test]
    fn block_outputs_are_the_last_convolution_of_each_block() {
        let rows = [
            row(1, "stem.conv", 100, 2.0),
            row(2, "stage1.block1.conv1", 100, 2.0),
            row(3, "stage1.block1.conv2", 100, 2.0),
            row(4, "stage1.block1.conv3", 100, 2.0),
            row(5, "fc", 10, 2.0),
            row(6, "head.pool", 10, 2.0),
        ];
        assert_eq!(
            tap_kinds(&rows),
            [
                TapKind::Stem,
                TapKind::Inner,
                TapKind::Inner,
                TapKind::BlockOutput,
                TapKind::Classifier,
                TapKind::Other
            ]
        );
        assert_eq!(block_position("stage12.block3.conv2"), Some((12, 3, 2)));
        assert_eq!(block_position("stage1.block3.conv2.bn"), None);
    }

    /// ResNet: two taps per block, stage 1 at D = 3136 (inner taps with a small κ), stage 2
    /// at D = 1568. ResNeXt: three taps per block, stage 1 at D = 12544 with large κ, stage 3
    /// at D = 3136 with κ below ResNet's, and one singular layer.
    fn networks() -> (Vec<LayerConditionRow>, Vec<LayerConditionRow>) {
        let mut resnet = Vec::new();
        for b in 1..=4 {
            let first = 2 * b;
            resnet.push(row(first, &format!("stage1.block{b}.conv1"), 3136, 20.0));
            resnet.push(row(
                first + 1,
                &format!("stage1.block{b}.conv2"),
                3136,
                150.0,
            ));
        }
        for b in 1..=4 {
            let first = 10 + 2 * b;
            resnet.push(row(first, &format!("stage2.block{b}.conv1"), 1568, 30.0));
            resnet.push(row(
                first + 1,
                &format!("stage2.block{b}.conv2"),
                1568,
                160.0,
            ));
        }
        let mut resnext = Vec::new();
        for b in 1..=3 {
            let first = 3 * b;
            for (i, k) in [(1, 900.0), (2, 900.0), (3, 1000.0)] {
                resnext.push(row(
                    first + i - 1,
                    &format!("stage1.block{b}.conv{i}"),
                    12544,
                    k,
                ));
            }
        }
        for b in 1..=3 {
            let first = 20 + 3 * b;
            for (i, k) in [(1, 400.0), (2, 400.0), (3, 100.0)] {
                resnext.push(row(
                    first + i - 1,
                    &format!("stage3.block{b}.conv{i}"),
                    3136,
                    k,
                ));
            }
        }
        resnext[4].kappa = f64::INFINITY;
        (resnet, resnext)
    }

    #[test]
    fn resnext_is_compared_on_block_outputs_of_the_same_width_despite_a_singular_layer() {
        let (resnet, resnext) = networks();
        let shared = shared_widths(&resnext, &resnet);
        assert_eq!(shared.len(), 1);
        let c = &shared[0];
        assert_eq!(
            (c.first.features, c.first.layers, c.first.singular),
            (3136, 3, 0)
        );
        assert_eq!(
            (c.second.layers, c.second.median_finite_kappa),
            (4, Some(150.0))
        );
        assert_eq!(
            (c.first.median_finite_kappa, c.first_is_better()),
            (Some(100.0), Some(true))
        );
        let text = resnext_vs_resnet(("resnext-164", &resnext), ("resnet-164", &resnet));
        assert!(
            text[0].contains("better conditioned than ResNet-164's, as the paper reports"),
            "{text:?}"
        );
        assert!(
            text[0].contains("D = 3136") && text[0].contains("stage 3"),
            "{text:?}"
        );
        // All taps pooled (the old comparison), ResNeXt's median κ (900) is above ResNet's
        // (90): mixing widths and tap kinds would have reversed the verdict, and its one
        // singular layer would have dropped it altogether.
        let pooled = |rows: &[LayerConditionRow]| {
            median(
                rows.iter()
                    .map(|r| r.kappa)
                    .filter(|k| k.is_finite())
                    .collect(),
            )
        };
        assert!(pooled(&resnext) > pooled(&resnet));
        assert!(resnext.iter().any(LayerConditionRow::is_singular));
    }

    #[test]
    fn singular_layers_decide_before_the_finite_medians() {
        let (resnet, mut resnext) = networks();
        // Two of ResNeXt's three D = 3136 block outputs singular: worse whatever the rest.
        for r in resnext
            .iter_mut()
            .filter(|r| r.layer == 25 || r.layer == 28)
        {
            r.kappa = f64::INFINITY;
        }
        let c = &shared_widths(&resnext, &resnet)[0];
        assert_eq!((c.first.singular, c.first_is_better()), (2, Some(false)));
        let text = resnext_vs_resnet(("resnext-164", &resnext), ("resnet-164", &resnet));
        assert!(text[0].contains("unlike the paper's finding"), "{text:?}");
        assert!(text[0].contains("singular at 2 of 3 vs 0 of 4"), "{text:?}");
    }

    #[test]
    fn models_without_a_shared_width_are_not_compared_on_kappa() {
        let (resnet, resnext) = networks();
        let narrow: Vec<LayerConditionRow> = resnext
            .into_iter()
            .filter(|r| r.shape.ends_with("12544"))
            .collect();
        let text = resnext_vs_resnet(("resnext-164", &narrow), ("resnet-164", &resnet));
        assert!(text[0].contains("share no width D"), "{text:?}");
        assert!(
            text[0].contains("ResNeXt-164: 12544; ResNet-164: 1568, 3136"),
            "{text:?}"
        );
        assert!(text[1].contains("0.500 for ResNeXt-164"), "{text:?}");
    }
}

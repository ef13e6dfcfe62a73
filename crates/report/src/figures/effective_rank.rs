//! Effective rank (Roy and Vetterli 2007) of each layer's hidden representation, all models of
//! a data set on one log axis: threshold-free, so it shows a rank collapse without a tolerance.
//! Layers without a spectrum (NaN/inf values) are marked on the bottom row.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::legend::legend_entry;
use super::palette::log_axis_number;
use super::render::{DrawResult, Plot};
use crate::paper_reference::dataset_label;
use deepskip_spectra::records::{LayerConditionRow, LayerStatus};

/// One model's effective ranks.
#[derive(Debug, Clone)]
pub(crate) struct RankSeries {
    pub label: String,
    pub color: RGBColor,
    /// `(layer, effective rank)` of the layers that have one.
    pub points: Vec<(usize, f64)>,
    /// Layers with NaN/inf values.
    pub non_finite: Vec<usize>,
}

impl RankSeries {
    pub fn of(label: String, color: RGBColor, rows: &[LayerConditionRow]) -> Self {
        Self {
            label,
            color,
            points: rows
                .iter()
                .filter(|r| r.effective_rank.is_finite() && r.effective_rank > 0.0)
                .map(|r| (r.layer, r.effective_rank))
                .collect(),
            non_finite: rows
                .iter()
                .filter(|r| r.status == Some(LayerStatus::NonFinite))
                .map(|r| r.layer)
                .collect(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.points.is_empty() && self.non_finite.is_empty()
    }
}

#[derive(Debug, Clone)]
pub(crate) struct EffectiveRankPlot {
    pub dataset: String,
    pub series: Vec<RankSeries>,
    /// The largest possible value, `min(N, D)` (e.g. the number of samples), drawn dashed.
    pub full_rank: Option<usize>,
}

const LEGEND_WIDTH: u32 = 250;

impl Plot for EffectiveRankPlot {
    fn name(&self) -> String {
        format!("effective_rank_hidden_{}", self.dataset)
    }

    fn size(&self) -> (u32, u32) {
        (1100, 560)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let layers = self.series.iter().flat_map(|s| {
            s.points
                .iter()
                .map(|p| p.0)
                .chain(s.non_finite.iter().copied())
        });
        let max_layer = layers.max().unwrap_or(1);
        let highest = self
            .series
            .iter()
            .flat_map(|s| s.points.iter().map(|p| p.1))
            .chain(self.full_rank.map(|n| n as f64))
            .fold(1.0_f64, f64::max);
        let (bottom, top) = (0.7, highest * 1.6);
        let root = root.titled(
            &format!(
                "Effective rank of each layer's representation — {}",
                dataset_label(&self.dataset)
            ),
            ("sans-serif", 24),
        )?;
        let (plot_area, legend_area) =
            root.split_horizontally(root.dim_in_pixel().0 - LEGEND_WIDTH);
        let mut chart = ChartBuilder::on(&plot_area)
            .margin(14)
            .x_label_area_size(48)
            .y_label_area_size(80)
            .build_cartesian_2d(0f64..(max_layer as f64 + 1.0), (bottom..top).log_scale())?;
        chart
            .configure_mesh()
            .x_desc("layer (1 = first weighted layer)")
            .y_desc("effective rank exp H(σ/Σσ) (log)")
            .axis_desc_style(("sans-serif", 17))
            .label_style(("sans-serif", 15))
            .x_label_formatter(&|x| format!("{x:.0}"))
            .y_label_formatter(&|v| log_axis_number(*v))
            .light_line_style(RGBColor(235, 235, 235))
            .draw()?;
        if let Some(n) = self.full_rank {
            chart.draw_series(DashedLineSeries::new(
                [(0.0, n as f64), (max_layer as f64 + 1.0, n as f64)],
                6,
                4,
                RGBColor(110, 110, 110).stroke_width(1),
            ))?;
        }
        for s in &self.series {
            let points: Vec<(f64, f64)> = s.points.iter().map(|&(l, r)| (l as f64, r)).collect();
            chart.draw_series(LineSeries::new(points.clone(), s.color.stroke_width(2)))?;
            chart.draw_series(
                points
                    .into_iter()
                    .map(|p| Circle::new(p, 2, s.color.filled())),
            )?;
            chart.draw_series(s.non_finite.iter().map(|&l| {
                TriangleMarker::new((l as f64, bottom * 1.15), 6, s.color.stroke_width(2))
            }))?;
        }
        draw_legend(&legend_area, &self.series, self.full_rank)
    }
}

fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    series: &[RankSeries],
    full_rank: Option<usize>,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let mut y = 40;
    for s in series {
        let median = {
            let mut v: Vec<f64> = s.points.iter().map(|p| p.1).collect();
            v.sort_by(f64::total_cmp);
            v.get(v.len() / 2).copied()
        };
        let detail = match median {
            Some(m) => format!("median {m:.1} over {} layers", s.points.len()),
            None => "no effective rank".to_string(),
        };
        legend_entry(area, y, s.color, &s.label, detail)?;
        y += 58;
    }
    if let Some(n) = full_rank {
        area.draw(&Text::new(
            format!("dashed: min(N, D) = {n}"),
            (4, y),
            ("sans-serif", 15),
        ))?;
        y += 26;
    }
    if series.iter().any(|s| !s.non_finite.is_empty()) {
        area.draw(&TriangleMarker::new((19, y + 8), 6, BLACK.stroke_width(2)))?;
        area.draw(&Text::new("NaN/inf values", (42, y), ("sans-serif", 15)))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_series_keeps_finite_ranks_and_marks_non_finite_layers() {
        let row = |layer, effective_rank, status| LayerConditionRow {
            layer,
            effective_rank,
            status: Some(status),
            ..LayerConditionRow::default()
        };
        let s = RankSeries::of(
            "m".into(),
            BLACK,
            &[
                row(1, 40.0, LayerStatus::FullRank),
                row(2, 1.0, LayerStatus::RankDeficient),
                row(3, f64::NAN, LayerStatus::NonFinite),
                row(4, f64::NAN, LayerStatus::Failed),
            ],
        );
        assert_eq!(s.points, [(1, 40.0), (2, 1.0)]);
        assert_eq!(s.non_finite, [3]);
        assert!(!s.is_empty());
        assert!(RankSeries::of(
            "old".into(),
            BLACK,
            &[row(1, f64::NAN, LayerStatus::FullRank)]
        )
        .is_empty());
    }
}

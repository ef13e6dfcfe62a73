//! Distributions of unit activations and weights of the first and the (about) 160th layer of
//! one model (paper Figs. 5-10).

use plotters::coord::Shift;
use plotters::prelude::*;

use super::palette::{log_axis_number, short_number};
use super::render::{DrawResult, Plot};
use crate::paper_reference::{dataset_label, model_label};
use deepskip_spectra::records::{LayerStatsFile, LayerStatsRecord};

/// The layer the paper calls "the 160th" scaled to this model's depth: `160 / 164` of it.
pub(crate) fn deep_layer_target(depth: usize) -> usize {
    ((depth as f64 * 160.0 / 164.0).round() as usize).max(1)
}

/// The record of the first analysed layer and the one nearest `target`.
pub(crate) fn first_and_deep(
    records: &[LayerStatsRecord],
    target: usize,
) -> Option<(&LayerStatsRecord, &LayerStatsRecord)> {
    let first = records.iter().min_by_key(|r| r.layer)?;
    let deep = records
        .iter()
        .min_by_key(|r| (r.layer.abs_diff(target), r.layer))?;
    Some((first, deep))
}

#[derive(Debug, Clone)]
pub(crate) struct HistogramPlot {
    pub dataset: String,
    pub model: String,
    pub depth: usize,
    pub color: RGBColor,
    pub stats: LayerStatsFile,
}

/// An axis tick; values that are zero up to rounding (`-5.6e-17`) print as 0.
fn tick(v: f64, span: f64) -> String {
    if v.abs() < span * 1e-9 {
        "0".to_string()
    } else {
        short_number(v)
    }
}

/// One panel: "Activations" or "Weights" of one layer.
fn draw_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    what: &str,
    record: Option<&LayerStatsRecord>,
    color: RGBColor,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let Some(record) = record else {
        area.draw(&Text::new(
            format!("{what}: not recorded"),
            (20, 40),
            ("sans-serif", 18),
        ))?;
        return Ok(());
    };
    let s = &record.stats;
    let h = &s.histogram;
    let (lo, hi) = match (h.edges.first(), h.edges.last()) {
        (Some(&lo), Some(&hi)) if hi > lo => (lo, hi),
        _ => (s.min - 0.5, s.max + 0.5),
    };
    let max_count = h.counts.iter().copied().max().unwrap_or(1).max(1) as f64;
    let min_positive = h
        .counts
        .iter()
        .copied()
        .filter(|&c| c > 0)
        .min()
        .unwrap_or(1) as f64;
    let caption = format!(
        "{what}, layer {} ({}): range [{}, {}], span {}",
        record.layer,
        record.name,
        short_number(s.min),
        short_number(s.max),
        short_number(s.max - s.min)
    );
    let bars = h
        .edges
        .windows(2)
        .zip(&h.counts)
        .filter(|(_, &c)| c > 0)
        .map(|(e, &c)| (e[0], e[1], c as f64));
    // Counts of a ReLU layer span decades (a spike at zero); a log axis keeps the tail visible.
    if max_count / min_positive > 100.0 {
        let mut chart = ChartBuilder::on(area)
            .caption(caption, ("sans-serif", 16))
            .margin(8)
            .x_label_area_size(40)
            .y_label_area_size(62)
            .build_cartesian_2d(lo..hi, (0.8f64..max_count * 2.0).log_scale())?;
        chart
            .configure_mesh()
            .x_desc("value")
            .y_desc("count (log)")
            .axis_desc_style(("sans-serif", 14))
            .label_style(("sans-serif", 13))
            .x_label_formatter(&|v| tick(*v, hi - lo))
            .y_label_formatter(&|v| log_axis_number(*v))
            .x_labels(6)
            .disable_x_mesh()
            .draw()?;
        chart.draw_series(
            bars.map(|(a, b, c)| Rectangle::new([(a, 0.8), (b, c)], color.mix(0.75).filled())),
        )?;
    } else {
        let mut chart = ChartBuilder::on(area)
            .caption(caption, ("sans-serif", 16))
            .margin(8)
            .x_label_area_size(40)
            .y_label_area_size(62)
            .build_cartesian_2d(lo..hi, 0f64..max_count * 1.1)?;
        chart
            .configure_mesh()
            .x_desc("value")
            .y_desc("count")
            .axis_desc_style(("sans-serif", 14))
            .label_style(("sans-serif", 13))
            .x_label_formatter(&|v| tick(*v, hi - lo))
            .y_label_formatter(&|v| short_number(*v))
            .x_labels(6)
            .disable_x_mesh()
            .draw()?;
        chart.draw_series(
            bars.map(|(a, b, c)| Rectangle::new([(a, 0.0), (b, c)], color.mix(0.75).filled())),
        )?;
    }
    Ok(())
}

impl Plot for HistogramPlot {
    fn name(&self) -> String {
        format!("histograms_{}_{}", self.dataset, self.model)
    }

    fn size(&self) -> (u32, u32) {
        (1200, 760)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let target = deep_layer_target(self.depth);
        let root = root.titled(
            &format!(
                "{} on {}: activations and weights, first layer and layer ≈{target} of {}",
                model_label(&self.model),
                dataset_label(&self.dataset),
                self.depth
            ),
            ("sans-serif", 22),
        )?;
        let panels = root.split_evenly((2, 2));
        let activations = first_and_deep(&self.stats.activations, target);
        let weights = first_and_deep(&self.stats.weights, target);
        draw_panel(
            &panels[0],
            "Activations",
            activations.map(|p| p.0),
            self.color,
        )?;
        draw_panel(
            &panels[1],
            "Activations",
            activations.map(|p| p.1),
            self.color,
        )?;
        draw_panel(&panels[2], "Weights", weights.map(|p| p.0), self.color)?;
        draw_panel(&panels[3], "Weights", weights.map(|p| p.1), self.color)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deep_layer_scales_with_depth() {
        assert_eq!(deep_layer_target(164), 160);
        assert_eq!(deep_layer_target(20), 20);
        assert_eq!(deep_layer_target(101), 99);
    }
}

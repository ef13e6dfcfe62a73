//! The onset study's heat map: one column per analysed step, one row per layer, coloured by
//! log10 of the hidden representation's condition number; singular layers (κ = ∞) black,
//! non-finite ones magenta, layers with dead BN statistics dotted. One panel per pass (BN
//! batch statistics, running statistics).

use plotters::coord::Shift;
use plotters::prelude::*;

use super::onset::{run_title, step_label};
use super::render::{last_index, DrawResult, Plot};
use crate::beyond::onset_data::{OnsetLayer, OnsetRun, Pass};

/// κ = ∞ (the representation is numerically rank-deficient).
pub(crate) const SINGULAR_COLOR: RGBColor = RGBColor(0, 0, 0);
/// NaN or infinite values: no spectrum at all.
pub(crate) const NON_FINITE_COLOR: RGBColor = RGBColor(230, 0, 200);
/// The dot on a cell whose BN statistics were dead.
const BN_DEAD_COLOR: RGBColor = RGBColor(255, 140, 0);

#[derive(Debug, Clone)]
pub(crate) struct OnsetHeatmap {
    pub run: OnsetRun,
    pub passes: Vec<Pass>,
}

/// ColorBrewer's YlGnBu at five points, interpolated linearly: pale = well conditioned,
/// blue = ill conditioned, never as dark as the black of a singular layer.
const SCALE: [(u8, u8, u8); 5] = [
    (255, 255, 204),
    (161, 218, 180),
    (65, 182, 196),
    (44, 127, 184),
    (37, 52, 148),
];

/// The colour of `t` in [0, 1] (clamped).
pub(crate) fn colour_scale(t: f64) -> RGBColor {
    let t = if t.is_finite() {
        t.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let x = t * (SCALE.len() - 1) as f64;
    let i = (x.floor() as usize).min(SCALE.len() - 2);
    let f = x - i as f64;
    let mix = |a: u8, b: u8| (a as f64 + f * (b as f64 - a as f64)).round() as u8;
    let (a, b) = (SCALE[i], SCALE[i + 1]);
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// The range of finite log10 κ over every drawn cell (at least one decade wide).
fn log_kappa_range(run: &OnsetRun, passes: &[Pass]) -> (f64, f64) {
    let values = run
        .points
        .iter()
        .flat_map(|p| passes.iter().flat_map(move |&pass| p.layers(pass)))
        .map(|l| l.kappa)
        .filter(|k| k.is_finite() && *k > 0.0)
        .map(f64::log10);
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    if lo.is_finite() {
        (lo.floor(), hi.ceil().max(lo.floor() + 1.0))
    } else {
        (0.0, 1.0)
    }
}

/// The colour of one cell.
pub(crate) fn cell_color(layer: &OnsetLayer, range: (f64, f64)) -> RGBColor {
    if layer.is_non_finite() {
        NON_FINITE_COLOR
    } else if layer.kappa.is_infinite() {
        SINGULAR_COLOR
    } else {
        colour_scale((layer.kappa.log10() - range.0) / (range.1 - range.0))
    }
}

impl Plot for OnsetHeatmap {
    fn name(&self) -> String {
        format!(
            "onset_heatmap_{}_{}_s{}",
            self.run.dataset, self.run.model, self.run.seed
        )
    }

    fn size(&self) -> (u32, u32) {
        (560 * self.passes.len() as u32 + 150, 640)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let root = root.titled(
            &run_title(
                "log10 κ of each layer's hidden representation during training",
                &self.run,
            ),
            ("sans-serif", 21),
        )?;
        let range = log_kappa_range(&self.run, &self.passes);
        let (panels, legend) = root.split_horizontally(root.dim_in_pixel().0 - 150);
        let areas = panels.split_evenly((1, self.passes.len()));
        for (area, &pass) in areas.iter().zip(&self.passes) {
            self.draw_panel(area, pass, range)?;
        }
        draw_legend(&legend, range)
    }
}

impl OnsetHeatmap {
    fn draw_panel<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        pass: Pass,
        range: (f64, f64),
    ) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let points = &self.run.points;
        let layers = self.run.layer_count.max(1) as f64;
        let mut chart = ChartBuilder::on(area)
            .caption(pass.label(), ("sans-serif", 17))
            .margin(10)
            .x_label_area_size(55)
            .y_label_area_size(50)
            .build_cartesian_2d(
                (0..last_index(points.len())).into_segmented(),
                0.5f64..layers + 0.5,
            )?;
        chart
            .configure_mesh()
            .disable_mesh()
            .x_desc("training step")
            .y_desc("layer")
            .axis_desc_style(("sans-serif", 15))
            .label_style(("sans-serif", 13))
            .x_labels(points.len().max(1))
            .x_label_formatter(&|v| step_label(points, v))
            .y_label_formatter(&|y| format!("{y:.0}"))
            .draw()?;
        for (i, point) in points.iter().enumerate() {
            let x = i as i32;
            for l in point.layers(pass) {
                let y = l.layer as f64;
                chart.draw_series(std::iter::once(Rectangle::new(
                    [
                        (SegmentValue::Exact(x), y - 0.5),
                        (SegmentValue::Exact(x + 1), y + 0.5),
                    ],
                    cell_color(l, range).filled(),
                )))?;
                if l.bn_dead {
                    chart.draw_series(std::iter::once(Circle::new(
                        (SegmentValue::CenterOf(x), y),
                        2,
                        BN_DEAD_COLOR.filled(),
                    )))?;
                }
            }
        }
        Ok(())
    }
}

fn draw_legend<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, range: (f64, f64)) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let (top, height, x) = (60, 300, 12);
    area.draw(&Text::new("log10 κ", (x, top - 30), ("sans-serif", 15)))?;
    for dy in 0..height {
        let t = 1.0 - dy as f64 / height as f64;
        area.draw(&Rectangle::new(
            [(x, top + dy), (x + 22, top + dy + 1)],
            colour_scale(t).filled(),
        ))?;
    }
    let decades = (range.1 - range.0).round().max(1.0) as i32;
    for d in 0..=decades {
        let y = top + height - (d as f64 / decades as f64 * height as f64) as i32;
        area.draw(&Text::new(
            format!("{:.0}", range.0 + d as f64),
            (x + 28, y - 7),
            ("sans-serif", 13),
        ))?;
    }
    let mut y = top + height + 30;
    for (color, text) in [
        (SINGULAR_COLOR, "κ = ∞ (singular)"),
        (NON_FINITE_COLOR, "non-finite values"),
    ] {
        area.draw(&Rectangle::new([(x, y), (x + 22, y + 14)], color.filled()))?;
        area.draw(&Text::new(text, (x, y + 18), ("sans-serif", 12)))?;
        y += 44;
    }
    area.draw(&Circle::new((x + 11, y + 6), 3, BN_DEAD_COLOR.filled()))?;
    area.draw(&Text::new("BN statistics", (x, y + 14), ("sans-serif", 12)))?;
    area.draw(&Text::new(
        "dead (overflow)",
        (x, y + 28),
        ("sans-serif", 12),
    ))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use deepskip_spectra::records::LayerStatus;

    fn layer(kappa: f64, status: LayerStatus) -> OnsetLayer {
        OnsetLayer {
            layer: 1,
            full_rank: 10,
            status,
            kappa,
            rank: 10,
            rank_numpy_f32: 10,
            effective_rank: 5.0,
            stable_rank: 2.0,
            bn_dead: false,
        }
    }

    #[test]
    fn singular_and_non_finite_cells_have_their_own_colours() {
        let range = (1.0, 3.0);
        assert_eq!(
            cell_color(&layer(f64::INFINITY, LayerStatus::RankDeficient), range),
            SINGULAR_COLOR
        );
        assert_eq!(
            cell_color(&layer(f64::NAN, LayerStatus::NonFinite), range),
            NON_FINITE_COLOR
        );
        let low = cell_color(&layer(10.0, LayerStatus::FullRank), range);
        let high = cell_color(&layer(1000.0, LayerStatus::FullRank), range);
        assert_eq!((low, high), (colour_scale(0.0), colour_scale(1.0)));
        assert_ne!(low, high);
        assert!(![SINGULAR_COLOR, NON_FINITE_COLOR].contains(&low));
    }
}

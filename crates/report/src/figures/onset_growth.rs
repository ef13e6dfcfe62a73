//! The weights and gradients behind the onset: per layer, the largest |w| of the kernel and
//! the norm of the layer's gradient (log10), one line per analysed step, pale (early) to dark
//! (late).

use plotters::coord::Shift;
use plotters::prelude::*;

use super::onset::run_title;
use super::onset_heatmap::colour_scale;
use super::render::{DrawResult, Plot};
use crate::beyond::onset_data::{LayerMagnitude, OnsetRun};

#[derive(Debug, Clone)]
pub(crate) struct OnsetGrowth {
    pub run: OnsetRun,
}

type Measure = fn(&LayerMagnitude) -> Option<f64>;

const PANELS: [(&str, Measure); 2] = [
    ("largest |w| of the kernel", |m| Some(m.max_abs_weight)),
    ("gradient norm at the step", |m| m.grad_norm),
];

/// `(layer, log10 value)` of the positive finite values.
fn log_points(weights: &[LayerMagnitude], measure: Measure) -> Vec<(f64, f64)> {
    weights
        .iter()
        .filter_map(|m| {
            let v = measure(m)?;
            (v.is_finite() && v > 0.0).then(|| (m.layer as f64, v.log10()))
        })
        .collect()
}

impl Plot for OnsetGrowth {
    fn name(&self) -> String {
        format!(
            "onset_weights_{}_{}_s{}",
            self.run.dataset, self.run.model, self.run.seed
        )
    }

    fn size(&self) -> (u32, u32) {
        (1200, 520)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let root = root.titled(
            &run_title("Weights and gradients per layer during training", &self.run),
            ("sans-serif", 21),
        )?;
        let (panels, legend) = root.split_horizontally(root.dim_in_pixel().0 - 130);
        let areas = panels.split_evenly((1, PANELS.len()));
        for (area, (title, measure)) in areas.iter().zip(PANELS) {
            self.draw_panel(area, title, measure)?;
        }
        self.draw_legend(&legend)
    }
}

impl OnsetGrowth {
    fn shade(&self, i: usize) -> RGBColor {
        let n = self.run.points.len().max(2) - 1;
        colour_scale(0.2 + 0.8 * i as f64 / n as f64)
    }

    fn draw_panel<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        title: &str,
        measure: Measure,
    ) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let lines: Vec<Vec<(f64, f64)>> = self
            .run
            .points
            .iter()
            .map(|p| log_points(&p.weights, measure))
            .collect();
        let ys = lines.iter().flatten().map(|p| p.1);
        let (lo, hi) = ys.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), y| {
            (lo.min(y), hi.max(y))
        });
        let (lo, hi) = if lo.is_finite() {
            (lo.floor(), hi.ceil().max(lo.floor() + 1.0))
        } else {
            (0.0, 1.0)
        };
        let layers = self.run.layer_count.max(1) as f64;
        let mut chart = ChartBuilder::on(area)
            .caption(title, ("sans-serif", 17))
            .margin(10)
            .x_label_area_size(45)
            .y_label_area_size(60)
            .build_cartesian_2d(0f64..layers + 1.0, lo..hi)?;
        chart
            .configure_mesh()
            .x_desc("layer")
            .y_desc("log10")
            .axis_desc_style(("sans-serif", 15))
            .label_style(("sans-serif", 13))
            .x_label_formatter(&|x| format!("{x:.0}"))
            .y_label_formatter(&|y| format!("{y:.0}"))
            .light_line_style(RGBColor(235, 235, 235))
            .draw()?;
        for (i, line) in lines.into_iter().enumerate() {
            chart.draw_series(LineSeries::new(line, self.shade(i).stroke_width(2)))?;
        }
        Ok(())
    }

    fn draw_legend<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        area.draw(&Text::new("step", (6, 30), ("sans-serif", 15)))?;
        for (i, p) in self.run.points.iter().enumerate() {
            let y = 60 + 26 * i as i32;
            area.draw(&PathElement::new(
                [(6, y), (36, y)],
                self.shade(i).stroke_width(3),
            ))?;
            area.draw(&Text::new(
                p.step.to_string(),
                (42, y - 8),
                ("sans-serif", 14),
            ))?;
        }
        Ok(())
    }
}

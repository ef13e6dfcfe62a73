//! Training loss (log) and accuracy per epoch, all models of a data set (paper Figs. 3-4).

use plotters::coord::Shift;
use plotters::prelude::*;

use super::palette::short_number;
use super::render::{DrawResult, Plot};
use crate::paper_reference::dataset_label;
use deepskip_runs::schema::EpochMetrics;

#[derive(Debug, Clone)]
pub(crate) struct TrainingSeries {
    pub label: String,
    pub color: RGBColor,
    pub metrics: Vec<EpochMetrics>,
}

#[derive(Debug, Clone)]
pub(crate) struct TrainingPlot {
    pub dataset: String,
    pub series: Vec<TrainingSeries>,
    /// Accuracy of guessing, drawn as a reference line.
    pub chance: Option<f64>,
}

/// Whole epochs only: fractional ticks of a short run would repeat labels.
fn epoch_label(x: &f64) -> String {
    if (x - x.round()).abs() < 1e-6 {
        format!("{x:.0}")
    } else {
        String::new()
    }
}

impl TrainingPlot {
    fn max_epoch(&self) -> f64 {
        self.series
            .iter()
            .flat_map(|s| s.metrics.iter().map(|m| m.epoch))
            .max()
            .unwrap_or(1) as f64
    }

    fn loss_range(&self) -> (f64, f64) {
        let losses = self
            .series
            .iter()
            .flat_map(|s| s.metrics.iter().map(|m| m.train_loss))
            .filter(|l| l.is_finite() && *l > 0.0);
        let (lo, hi) = losses.fold((f64::INFINITY, 0.0f64), |(lo, hi), l| {
            (lo.min(l), hi.max(l))
        });
        if hi > 0.0 {
            // Start at a power of ten so that the axis has at least one labelled decade below 1.
            ((lo / 1.5).min(10f64.powf(lo.log10().floor())), hi * 1.5)
        } else {
            (0.01, 10.0)
        }
    }

    fn draw_loss<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let (lo, hi) = self.loss_range();
        let mut chart = ChartBuilder::on(area)
            .caption("Training loss", ("sans-serif", 20))
            .margin(10)
            .x_label_area_size(45)
            .y_label_area_size(70)
            // plotters 0.3.7 labels no tick below 1 on a log axis; plot log10(loss) on a linear
            // axis instead and label the ticks with the loss itself.
            .build_cartesian_2d(0.5f64..self.max_epoch() + 0.5, lo.log10()..hi.log10())?;
        chart
            .configure_mesh()
            .x_desc("epoch")
            .y_desc("cross-entropy (log)")
            .axis_desc_style(("sans-serif", 16))
            .label_style(("sans-serif", 14))
            .x_label_formatter(&epoch_label)
            .y_labels(8)
            .y_label_formatter(&|v| short_number(10f64.powf(*v)))
            .light_line_style(RGBColor(235, 235, 235))
            .draw()?;
        for s in &self.series {
            let color = s.color;
            let points: Vec<(f64, f64)> = s
                .metrics
                .iter()
                .filter(|m| m.train_loss.is_finite() && m.train_loss > 0.0)
                .map(|m| (m.epoch as f64, m.train_loss.log10()))
                .collect();
            chart
                .draw_series(LineSeries::new(points.clone(), color.stroke_width(2)))?
                .label(s.label.clone())
                .legend(move |(x, y)| {
                    PathElement::new([(x, y), (x + 22, y)], color.stroke_width(3))
                });
            chart.draw_series(
                points
                    .into_iter()
                    .map(|p| Circle::new(p, 3, color.filled())),
            )?;
        }
        chart
            .configure_series_labels()
            // Losses start high on the left and fall: the lower left is usually empty.
            .position(SeriesLabelPosition::LowerLeft)
            .background_style(WHITE.mix(0.85))
            .border_style(RGBColor(160, 160, 160))
            .label_font(("sans-serif", 14))
            .draw()?;
        Ok(())
    }

    fn draw_accuracy<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let max_epoch = self.max_epoch();
        let mut chart = ChartBuilder::on(area)
            .caption("Accuracy (solid: train, dashed: test)", ("sans-serif", 20))
            .margin(10)
            .x_label_area_size(45)
            .y_label_area_size(60)
            .build_cartesian_2d(0.5f64..max_epoch + 0.5, 0f64..100.0)?;
        chart
            .configure_mesh()
            .x_desc("epoch")
            .y_desc("accuracy (%)")
            .y_label_formatter(&|v| format!("{v:.0}"))
            .axis_desc_style(("sans-serif", 16))
            .label_style(("sans-serif", 14))
            .x_label_formatter(&epoch_label)
            .light_line_style(RGBColor(235, 235, 235))
            .draw()?;
        if let Some(chance) = self.chance {
            let grey = RGBColor(120, 120, 120);
            chart
                .draw_series(DashedLineSeries::new(
                    [(0.5, chance * 100.0), (max_epoch + 0.5, chance * 100.0)],
                    3,
                    5,
                    grey.stroke_width(1),
                ))?
                .label(format!("chance ({:.0}%)", chance * 100.0))
                .legend(move |(x, y)| PathElement::new([(x, y), (x + 22, y)], grey));
        }
        for s in &self.series {
            let color = s.color;
            let train: Vec<(f64, f64)> = s
                .metrics
                .iter()
                .map(|m| (m.epoch as f64, m.train_acc * 100.0))
                .collect();
            let test: Vec<(f64, f64)> = s
                .metrics
                .iter()
                .map(|m| (m.epoch as f64, m.test_acc * 100.0))
                .collect();
            chart
                .draw_series(LineSeries::new(train.clone(), color.stroke_width(2)))?
                .label(s.label.clone())
                .legend(move |(x, y)| {
                    PathElement::new([(x, y), (x + 22, y)], color.stroke_width(3))
                });
            chart.draw_series(train.into_iter().map(|p| Circle::new(p, 3, color.filled())))?;
            chart.draw_series(DashedLineSeries::new(
                test.clone(),
                6,
                4,
                color.stroke_width(2),
            ))?;
            chart.draw_series(
                test.into_iter()
                    .map(|p| Circle::new(p, 3, color.stroke_width(1))),
            )?;
        }
        chart
            .configure_series_labels()
            // Accuracies start low on the left and rise: the upper left is usually empty.
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.85))
            .border_style(RGBColor(160, 160, 160))
            .label_font(("sans-serif", 14))
            .draw()?;
        Ok(())
    }
}

impl Plot for TrainingPlot {
    fn name(&self) -> String {
        format!("training_{}", self.dataset)
    }

    fn size(&self) -> (u32, u32) {
        (1200, 480)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let root = root.titled(
            &format!("Training on {}", dataset_label(&self.dataset)),
            ("sans-serif", 24),
        )?;
        let panels = root.split_evenly((1, 2));
        self.draw_loss(&panels[0])?;
        self.draw_accuracy(&panels[1])?;
        Ok(())
    }
}

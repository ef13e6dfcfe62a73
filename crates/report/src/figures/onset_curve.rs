//! The onset layer (the first layer whose hidden representation counts as singular) against
//! the training step, one line per rule and pass; a step where no layer is singular sits on
//! the marked "none" row above the deepest layer.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::onset::{run_title, step_label};
use super::render::{last_index, DrawResult, Plot};
use crate::beyond::onset_data::{OnsetRun, Pass, SingularRule};

/// One line: a rule under a pass.
#[derive(Debug, Clone)]
pub(crate) struct OnsetSeries {
    pub color: RGBColor,
    pub pass: Pass,
    pub rule: SingularRule,
}

#[derive(Debug, Clone)]
pub(crate) struct OnsetCurve {
    pub run: OnsetRun,
    pub series: Vec<OnsetSeries>,
}

/// The line label of the "none singular" row.
pub const NO_ONSET_LABEL: &str = "none singular";

impl OnsetCurve {
    /// The series' values: the onset layer at each point, `None` where no layer is singular;
    /// points of a pass that was not taken are left out.
    pub(crate) fn values(&self, s: &OnsetSeries) -> Vec<(usize, Option<usize>)> {
        self.run
            .points
            .iter()
            .enumerate()
            .filter(|(_, p)| !p.layers(s.pass).is_empty())
            .map(|(i, p)| (i, p.onset(s.pass, s.rule)))
            .collect()
    }
}

impl Plot for OnsetCurve {
    fn name(&self) -> String {
        format!(
            "onset_layer_{}_{}_s{}",
            self.run.dataset, self.run.model, self.run.seed
        )
    }

    fn size(&self) -> (u32, u32) {
        (1100, 560)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let root = root.titled(
            &run_title("First singular layer against the training step", &self.run),
            ("sans-serif", 22),
        )?;
        let (plot, legend) = root.split_horizontally(root.dim_in_pixel().0 - 330);
        let points = &self.run.points;
        let layers = self.run.layer_count.max(1) as f64;
        let none_row = layers * 1.08;
        let mut chart = ChartBuilder::on(&plot)
            .margin(14)
            .x_label_area_size(50)
            .y_label_area_size(60)
            .build_cartesian_2d(
                (0..last_index(points.len())).into_segmented(),
                0f64..layers * 1.14,
            )?;
        chart
            .configure_mesh()
            .x_desc("training step (log-spaced points)")
            .y_desc("first singular layer")
            .axis_desc_style(("sans-serif", 16))
            .label_style(("sans-serif", 14))
            .x_labels(points.len().max(1))
            .x_label_formatter(&|v| step_label(points, v))
            .y_label_formatter(&|y| {
                if *y <= layers {
                    format!("{y:.0}")
                } else {
                    String::new()
                }
            })
            .light_line_style(RGBColor(235, 235, 235))
            .draw()?;
        let grey = RGBColor(110, 110, 110);
        chart.draw_series(DashedLineSeries::new(
            [
                (SegmentValue::Exact(0), none_row),
                (SegmentValue::Exact(last_index(points.len()) + 1), none_row),
            ],
            6,
            4,
            grey.stroke_width(1),
        ))?;
        chart.draw_series(std::iter::once(Text::new(
            NO_ONSET_LABEL,
            (SegmentValue::Exact(0), none_row + layers * 0.045),
            ("sans-serif", 15).into_font().color(&BLACK),
        )))?;
        for (k, s) in self.series.iter().enumerate() {
            // A small vertical offset per series keeps equal onsets visible side by side.
            let offset = (k as f64 - (self.series.len() as f64 - 1.0) / 2.0) * layers * 0.006;
            let line: Vec<(SegmentValue<i32>, f64)> = self
                .values(s)
                .into_iter()
                .map(|(i, onset)| {
                    let y = onset.map_or(none_row, |l| l as f64) + offset;
                    (SegmentValue::CenterOf(i as i32), y)
                })
                .collect();
            chart.draw_series(LineSeries::new(line.clone(), s.color.stroke_width(2)))?;
            chart.draw_series(
                line.into_iter()
                    .map(|p| Circle::new(p, 4, s.color.filled())),
            )?;
        }
        draw_legend(&legend, &self.series)
    }
}

fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    series: &[OnsetSeries],
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let grey = RGBColor(90, 90, 90);
    let mut y = 50;
    for s in series {
        area.draw(&PathElement::new(
            [(4, y), (34, y)],
            s.color.stroke_width(3),
        ))?;
        area.draw(&Circle::new((19, y), 4, s.color.filled()))?;
        area.draw(&Text::new(s.rule.label(), (42, y - 9), ("sans-serif", 14)))?;
        area.draw(&Text::new(
            s.pass.label(),
            (42, y + 9),
            ("sans-serif", 13).into_font().color(&grey),
        ))?;
        y += 50;
    }
    Ok(())
}

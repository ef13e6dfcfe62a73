//! Depth sweep: final accuracy and the onset of singularity (first singular hidden layer)
//! against depth, one line per family (the study beyond the paper, `--study depth`).

use plotters::coord::Shift;
use plotters::prelude::*;

use super::palette::model_color;
use super::render::{render, DrawResult, Plot};
use super::{Figure, FigureKind};
use crate::paper_reference::dataset_label;
use crate::studies::{Study, StudyPoint};
use crate::ReportError;

/// One family's points, by depth.
#[derive(Debug, Clone)]
struct FamilySeries {
    family: String,
    color: RGBColor,
    /// (depth, test accuracy, onset layer; `None` = never singular, or not analysed: then
    /// not drawn).
    points: Vec<(usize, Option<f64>, Option<usize>, bool)>,
}

#[derive(Debug, Clone)]
struct DepthSweepPlot {
    dataset: String,
    series: Vec<FamilySeries>,
    max_depth: usize,
}

/// The figure of `dataset`'s depth sweep; `None` when it has no analysed or trained point.
pub(crate) fn depth_sweep(
    points: &[StudyPoint],
    dataset: &str,
) -> Result<Option<Figure>, ReportError> {
    let mut series: Vec<FamilySeries> = Vec::new();
    let mut sweep: Vec<&StudyPoint> = points
        .iter()
        .filter(|p| p.study == Study::Depth && p.dataset == dataset)
        .collect();
    sweep.sort_by_key(|p| p.depth);
    for p in &sweep {
        let index = series.len();
        let entry = match series.iter().position(|s| s.family == p.family) {
            Some(i) => &mut series[i],
            None => {
                series.push(FamilySeries {
                    family: p.family.clone(),
                    color: model_color(&p.family.to_ascii_lowercase(), index),
                    points: Vec::new(),
                });
                series.last_mut().expect("just pushed")
            }
        };
        entry
            .points
            .push((p.depth, p.test_acc, p.onset, p.analysed > 0));
    }
    let max_depth = sweep.iter().map(|p| p.depth).max().unwrap_or(0);
    if max_depth == 0 {
        return Ok(None);
    }
    let plot = DepthSweepPlot {
        dataset: dataset.to_string(),
        series,
        max_depth,
    };
    let caption = format!(
        "{}: test accuracy on the full test split (left) and the first singular hidden layer \
         (right; a cross on the dashed line = no singular layer) against depth, same recipe at \
         every depth.",
        dataset_label(dataset)
    );
    render(&plot, FigureKind::DepthSweep, dataset, caption).map(Some)
}

impl Plot for DepthSweepPlot {
    fn name(&self) -> String {
        format!("depth_sweep_{}", self.dataset)
    }

    fn size(&self) -> (u32, u32) {
        (1100, 450)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let (left, right) = root.split_horizontally(550);
        self.draw_accuracy(&left)?;
        self.draw_onset(&right)
    }
}

impl DepthSweepPlot {
    fn x_range(&self) -> std::ops::Range<f64> {
        0.0..self.max_depth as f64 * 1.05 + 2.0
    }

    fn draw_accuracy<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let mut chart = ChartBuilder::on(area)
            .caption("Test accuracy", ("sans-serif", 20))
            .margin(10)
            .x_label_area_size(45)
            .y_label_area_size(60)
            .build_cartesian_2d(self.x_range(), 0.0f64..100.0)?;
        chart
            .configure_mesh()
            .x_desc("depth (weighted layers)")
            .y_desc("test accuracy (%)")
            .axis_desc_style(("sans-serif", 16))
            .label_style(("sans-serif", 14))
            .light_line_style(RGBColor(235, 235, 235))
            .draw()?;
        for s in &self.series {
            let color = s.color;
            let points: Vec<(f64, f64)> = s
                .points
                .iter()
                .filter_map(|&(d, acc, _, _)| Some((d as f64, 100.0 * acc?)))
                .collect();
            chart
                .draw_series(LineSeries::new(points.clone(), color.stroke_width(2)))?
                .label(s.family.clone())
                .legend(move |(x, y)| {
                    PathElement::new([(x, y), (x + 22, y)], color.stroke_width(3))
                });
            chart.draw_series(
                points
                    .into_iter()
                    .map(|p| Circle::new(p, 4, color.filled())),
            )?;
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerLeft)
            .background_style(WHITE.mix(0.85))
            .border_style(RGBColor(160, 160, 160))
            .label_font(("sans-serif", 14))
            .draw()?;
        Ok(())
    }

    fn draw_onset<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        // "Never singular" is drawn above the deepest network's last layer.
        let never = self.max_depth as f64 * 1.08 + 2.0;
        let mut chart = ChartBuilder::on(area)
            .caption("First singular hidden layer", ("sans-serif", 20))
            .margin(10)
            .x_label_area_size(45)
            .y_label_area_size(60)
            .build_cartesian_2d(self.x_range(), 0.0..never * 1.05)?;
        chart
            .configure_mesh()
            .x_desc("depth (weighted layers)")
            .y_desc("layer")
            .axis_desc_style(("sans-serif", 16))
            .label_style(("sans-serif", 14))
            .light_line_style(RGBColor(235, 235, 235))
            .draw()?;
        chart.draw_series(DashedLineSeries::new(
            [(0.0, never), (self.x_range().end, never)],
            6,
            4,
            RGBColor(150, 150, 150).stroke_width(1),
        ))?;
        for s in &self.series {
            let color = s.color;
            let onsets: Vec<(f64, f64)> = s
                .points
                .iter()
                .filter_map(|&(d, _, onset, _)| Some((d as f64, onset? as f64)))
                .collect();
            chart.draw_series(LineSeries::new(onsets.clone(), color.stroke_width(2)))?;
            chart.draw_series(
                onsets
                    .into_iter()
                    .map(|p| Circle::new(p, 4, color.filled())),
            )?;
            let nevers = s
                .points
                .iter()
                .filter(|(_, _, onset, analysed)| onset.is_none() && *analysed)
                .map(|&(d, _, _, _)| Cross::new((d as f64, never), 6, color.stroke_width(2)));
            chart.draw_series(nevers)?;
        }
        Ok(())
    }
}

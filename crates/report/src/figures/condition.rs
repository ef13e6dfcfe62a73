//! Condition number per layer, all models of a data set on one log axis (paper Figs. 11-13).
//! Infinite values (singular matrices) sit on a marked row above the finite ones instead of
//! being left out as in the paper, so that "singular from layer k on" is visible.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::legend::legend_entry;
use super::palette::log_axis_number;
use super::render::{DrawResult, Plot};
use crate::paper_reference::dataset_label;
use deepskip_spectra::records::{LayerConditionRow, LayerStatus};

/// One layer's condition number as drawn.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Kappa {
    Finite(f64),
    /// Rank-deficient: κ = ∞ (a cross on the ∞ row).
    Infinite,
    /// NaN/inf values, no singular values at all: drawn on the ∞ row as the paper draws
    /// missing points, with its own marker (a triangle).
    NonFinite,
}

impl Kappa {
    /// The point of a table row: non-finite layers apart from rank-deficient ones.
    pub fn of(row: &LayerConditionRow) -> Self {
        if row.status == Some(LayerStatus::NonFinite) {
            Kappa::NonFinite
        } else if row.kappa.is_infinite() {
            Kappa::Infinite
        } else {
            Kappa::Finite(row.kappa)
        }
    }

    /// A finite, positive kappa stays; anything else (0, NaN) cannot sit on a log axis.
    fn filter_positive(self) -> Self {
        match self {
            Kappa::Finite(k) if !(k.is_finite() && k > 0.0) => Kappa::NonFinite,
            other => other,
        }
    }

    fn on_infinity_row(self) -> bool {
        !matches!(self, Kappa::Finite(_))
    }
}

/// One model's condition numbers, `(layer, kappa)`.
#[derive(Debug, Clone)]
pub(crate) struct ConditionSeries {
    pub label: String,
    pub color: RGBColor,
    pub points: Vec<(usize, Kappa)>,
}

impl ConditionSeries {
    fn singular_layers(&self) -> usize {
        self.points
            .iter()
            .filter(|(_, k)| k.on_infinity_row())
            .count()
    }

    fn count(&self, kind: Kappa) -> usize {
        self.points.iter().filter(|(_, k)| *k == kind).count()
    }
}

/// Whose condition numbers: the layers' outputs or their weights.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ConditionOf {
    Hidden,
    Weights,
}

#[derive(Debug, Clone)]
pub(crate) struct ConditionPlot {
    pub dataset: String,
    pub of: ConditionOf,
    pub series: Vec<ConditionSeries>,
}

/// Where the ∞ row and the top of the axis go, given the finite values.
#[derive(Debug, Clone, Copy, PartialEq)]
struct YRange {
    bottom: f64,
    top_finite: f64,
    infinity_row: Option<f64>,
    top: f64,
}

fn y_range(series: &[ConditionSeries]) -> YRange {
    let finite = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.1))
        .filter_map(|k| match k.filter_positive() {
            Kappa::Finite(k) => Some(k),
            _ => None,
        });
    let (lo, hi) = finite.fold((f64::INFINITY, 0.0f64), |(lo, hi), k| {
        (lo.min(k), hi.max(k))
    });
    let (lo, hi) = if hi > 0.0 { (lo, hi) } else { (1.0, 10.0) };
    let bottom = 10f64.powf(lo.log10().floor()).min(lo / 1.5);
    let top_finite = 10f64.powf(hi.log10().ceil()).max(hi * 1.5);
    let decades = (top_finite / bottom).log10().max(1.0);
    let any_infinite = series.iter().any(|s| s.singular_layers() > 0);
    let infinity_row = any_infinite.then(|| top_finite * 10f64.powf(0.15 * decades));
    let top = infinity_row.unwrap_or(top_finite) * 10f64.powf(0.08 * decades);
    YRange {
        bottom,
        top_finite,
        infinity_row,
        top,
    }
}

/// The label of the row where infinite condition numbers are drawn.
pub const INFINITY_LABEL: &str = "∞ (singular)";

impl Plot for ConditionPlot {
    fn name(&self) -> String {
        match self.of {
            ConditionOf::Hidden => format!("condition_hidden_{}", self.dataset),
            ConditionOf::Weights => format!("condition_weights_{}", self.dataset),
        }
    }

    fn size(&self) -> (u32, u32) {
        (1100, 560)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let what = match self.of {
            ConditionOf::Hidden => "Hidden-representation condition number",
            ConditionOf::Weights => "Weight condition number",
        };
        let max_layer = self
            .series
            .iter()
            .flat_map(|s| s.points.iter().map(|p| p.0))
            .max()
            .unwrap_or(1);
        let y = y_range(&self.series);
        let root = root.titled(
            &format!("{what} per layer — {}", dataset_label(&self.dataset)),
            ("sans-serif", 24),
        )?;
        // The legend gets its own column: inside the plot it would hide curves somewhere.
        let (plot_area, legend_area) =
            root.split_horizontally(root.dim_in_pixel().0 - LEGEND_WIDTH);
        let mut chart = ChartBuilder::on(&plot_area)
            .margin(14)
            .x_label_area_size(48)
            .y_label_area_size(80)
            .build_cartesian_2d(
                0f64..(max_layer as f64 + 1.0),
                (y.bottom..y.top).log_scale(),
            )?;
        let top_finite = y.top_finite;
        chart
            .configure_mesh()
            .x_desc("layer (1 = first weighted layer)")
            .y_desc("condition number κ = σmax / σmin (log)")
            .axis_desc_style(("sans-serif", 17))
            .label_style(("sans-serif", 15))
            .x_label_formatter(&|x| format!("{x:.0}"))
            // Ticks above the finite range would read as values; the ∞ row is labelled instead.
            .y_label_formatter(&|v| {
                if *v > top_finite * 1.01 {
                    String::new()
                } else {
                    log_axis_number(*v)
                }
            })
            .light_line_style(RGBColor(235, 235, 235))
            .draw()?;

        if let Some(row) = y.infinity_row {
            let grey = RGBColor(110, 110, 110);
            chart.draw_series(DashedLineSeries::new(
                [(0.0, row), (max_layer as f64 + 1.0, row)],
                6,
                4,
                grey.stroke_width(1),
            ))?;
            chart.draw_series(std::iter::once(Text::new(
                INFINITY_LABEL,
                (
                    max_layer as f64 * 0.01,
                    row * 10f64.powf(0.03 * (y.top / y.bottom).log10()),
                ),
                ("sans-serif", 17).into_font().color(&BLACK),
            )))?;
        }

        for series in &self.series {
            draw_series(&mut chart, series, y.infinity_row)?;
        }
        let matrix = match self.of {
            ConditionOf::Hidden => "representation",
            ConditionOf::Weights => "weight matrix",
        };
        draw_legend(&legend_area, &self.series, y.infinity_row.map(|_| matrix))?;
        Ok(())
    }
}

const LEGEND_WIDTH: u32 = 250;

fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    series: &[ConditionSeries],
    infinity_row: Option<&str>,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let grey = RGBColor(90, 90, 90);
    let mut y = 40;
    for s in series {
        let singular = s.singular_layers();
        let first = s
            .points
            .iter()
            .find(|(_, k)| k.on_infinity_row())
            .map(|p| p.0);
        let detail = if let (true, Some(first)) = (singular > 0, first) {
            format!(
                "singular at {singular}/{} layers, first {first}",
                s.points.len()
            )
        } else {
            format!("never singular ({} layers)", s.points.len())
        };
        legend_entry(area, y, s.color, &s.label, detail)?;
        let non_finite = s.count(Kappa::NonFinite);
        if non_finite > 0 {
            area.draw(&Text::new(
                format!("({non_finite} of them NaN/inf)"),
                (42, y + 28),
                ("sans-serif", 14).into_font().color(&grey),
            ))?;
            y += 17;
        }
        y += 58;
    }
    if let Some(matrix) = infinity_row {
        area.draw(&Cross::new((19, y), 5, BLACK.stroke_width(2)))?;
        area.draw(&Text::new(
            "κ = ∞: the layer's",
            (42, y - 9),
            ("sans-serif", 15),
        ))?;
        area.draw(&Text::new(
            format!("{matrix} is singular"),
            (42, y + 9),
            ("sans-serif", 15),
        ))?;
        if series.iter().any(|s| s.count(Kappa::NonFinite) > 0) {
            y += 46;
            area.draw(&non_finite_marker((19, y), BLACK))?;
            area.draw(&Text::new(
                "NaN/inf values (no",
                (42, y - 9),
                ("sans-serif", 15),
            ))?;
            area.draw(&Text::new(
                "spectrum): singular",
                (42, y + 9),
                ("sans-serif", 15),
            ))?;
        }
    }
    Ok(())
}

type LogChart<'a, DB> = ChartContext<
    'a,
    DB,
    Cartesian2d<
        plotters::coord::types::RangedCoordf64,
        plotters::coord::combinators::LogCoord<f64>,
    >,
>;

fn draw_series<DB: DrawingBackend>(
    chart: &mut LogChart<'_, DB>,
    series: &ConditionSeries,
    infinity_row: Option<f64>,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let color = series.color;
    for stretch in finite_stretches(&series.points) {
        chart.draw_series(LineSeries::new(stretch.clone(), color.stroke_width(2)))?;
        chart.draw_series(
            stretch
                .into_iter()
                .map(|p| Circle::new(p, 2, color.filled())),
        )?;
    }
    if let Some(row) = infinity_row {
        chart.draw_series(
            series
                .points
                .iter()
                .filter(|(_, k)| *k == Kappa::Infinite)
                .map(|(layer, _)| Cross::new((*layer as f64, row), 4, color.stroke_width(2))),
        )?;
        chart.draw_series(
            series
                .points
                .iter()
                .filter(|(_, k)| *k == Kappa::NonFinite)
                .map(|(layer, _)| non_finite_marker((*layer as f64, row), color)),
        )?;
    }
    Ok(())
}

/// A triangle pointing up: a layer without singular values (NaN/inf values).
fn non_finite_marker<C>(at: C, color: RGBColor) -> TriangleMarker<C, i32> {
    TriangleMarker::new(at, 6, color.stroke_width(2))
}

/// Consecutive finite, positive points; an infinite or missing value breaks the line.
fn finite_stretches(points: &[(usize, Kappa)]) -> Vec<Vec<(f64, f64)>> {
    let mut stretches = Vec::new();
    let mut current = Vec::new();
    for &(layer, kappa) in points {
        if let Kappa::Finite(kappa) = kappa.filter_positive() {
            current.push((layer as f64, kappa));
        } else if !current.is_empty() {
            stretches.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        stretches.push(current);
    }
    stretches
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(points: Vec<(usize, f64)>) -> ConditionSeries {
        let kappa = |k: f64| {
            if k.is_infinite() {
                Kappa::Infinite
            } else {
                Kappa::Finite(k)
            }
        };
        ConditionSeries {
            label: "m".into(),
            color: RGBColor(0, 0, 0),
            points: points.into_iter().map(|(l, k)| (l, kappa(k))).collect(),
        }
    }

    #[test]
    fn non_finite_layers_are_told_apart_from_rank_deficient_ones() {
        let row = |kappa: f64, status| LayerConditionRow {
            kappa,
            status: Some(status),
            ..LayerConditionRow::default()
        };
        assert_eq!(
            Kappa::of(&row(f64::NAN, LayerStatus::NonFinite)),
            Kappa::NonFinite
        );
        assert_eq!(
            Kappa::of(&row(f64::INFINITY, LayerStatus::RankDeficient)),
            Kappa::Infinite
        );
        assert_eq!(
            Kappa::of(&row(7.0, LayerStatus::FullRank)),
            Kappa::Finite(7.0)
        );
        let mut s = series(vec![(1, 3.0), (2, f64::INFINITY)]);
        s.points.push((3, Kappa::NonFinite));
        assert_eq!((s.singular_layers(), s.count(Kappa::NonFinite)), (2, 1));
        // A non-finite layer alone still needs the ∞ row.
        let only = series(vec![(1, 3.0)]);
        let mut with = only.clone();
        with.points.push((2, Kappa::NonFinite));
        assert!(y_range(&[only]).infinity_row.is_none());
        assert!(y_range(&[with]).infinity_row.is_some());
    }

    #[test]
    fn infinity_row_sits_above_every_finite_value() {
        let s = series(vec![(1, 3.0), (2, 2e7), (3, f64::INFINITY)]);
        let y = y_range(&[s]);
        let row = y.infinity_row.expect("an infinite value needs the row");
        assert!(y.bottom <= 3.0 && y.top_finite >= 2e7);
        assert!(row > y.top_finite && y.top > row);
        assert!(y_range(&[series(vec![(1, 5.0)])]).infinity_row.is_none());
    }

    #[test]
    fn stretches_break_at_infinity() {
        let s = finite_stretches(
            &series(vec![(1, 2.0), (2, f64::INFINITY), (3, 4.0), (4, 5.0)]).points,
        );
        assert_eq!(s, vec![vec![(1.0, 2.0)], vec![(3.0, 4.0), (4.0, 5.0)]]);
    }
}

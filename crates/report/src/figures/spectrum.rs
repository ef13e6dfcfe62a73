//! One run's hidden-representation spectra as a heat map: layer (x) by singular-value index
//! (y, 1 = the largest at the bottom), coloured by `log10(sigma_i / sigma_max)` of the raw
//! N x D matrix, from `analysis/spectra.safetensors`. The numerical rank of the table is drawn
//! over it, so a rank collapse shows as the line dropping and the colours beyond it.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::colors::colormaps::ViridisRGB;

use super::render::{DrawResult, Plot};
use crate::paper_reference::dataset_label;
use deepskip_spectra::records::LayerConditionRow;
use deepskip_spectra::{LayerOutcome, LayerSpectrum};

/// Rows of cells drawn at most: longer spectra are binned (each cell shows the smallest
/// value of its bin, so a tail of zeros is never hidden), which keeps the SVG small.
const MAX_ROWS: usize = 100;
/// The lowest decade the colour scale goes down to: below f64's epsilon nothing is resolved.
const LOWEST_DECADE: f64 = -17.0;

/// One layer's column.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SpectrumColumn {
    pub layer: usize,
    /// `log10(sigma_i / sigma_max)`, descending (`-inf` for an exact zero); `None` for a
    /// layer without a spectrum (NaN/inf values).
    pub levels: Option<Vec<f64>>,
    /// The numerical rank in the table, when the table has the layer.
    pub rank: Option<usize>,
}

impl SpectrumColumn {
    /// The column of a stored spectrum, with its rank from `rows` (the run's table).
    pub fn of(layer: &LayerSpectrum, rows: &[LayerConditionRow]) -> Self {
        let levels = match &layer.outcome {
            LayerOutcome::Analysed(s) => {
                let max = s.raw.first().copied().unwrap_or(0.0);
                Some(
                    s.raw
                        .iter()
                        .map(|&v| {
                            if max > 0.0 {
                                (v / max).log10()
                            } else {
                                f64::NEG_INFINITY
                            }
                        })
                        .collect(),
                )
            }
            LayerOutcome::NonFinite { .. } | LayerOutcome::Failed(_) => None,
        };
        Self {
            layer: layer.layer,
            levels,
            rank: rows.iter().find(|r| r.layer == layer.layer).map(|r| r.rank),
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct SpectrumHeatMap {
    pub dataset: String,
    /// e.g. `ResNet-164`.
    pub label: String,
    /// File-name part that tells runs apart, e.g. `resnet-164`.
    pub stem: String,
    /// The tolerance rule of the rank line, e.g. `data-precision`.
    pub tolerance: String,
    pub columns: Vec<SpectrumColumn>,
}

impl SpectrumHeatMap {
    fn longest(&self) -> usize {
        self.columns
            .iter()
            .filter_map(|c| c.levels.as_ref().map(Vec::len))
            .max()
            .unwrap_or(1)
    }

    /// The bottom of the colour scale: the lowest finite level, whole decades, at most
    /// [`LOWEST_DECADE`].
    fn colour_floor(&self) -> f64 {
        let lowest = self
            .columns
            .iter()
            .filter_map(|c| c.levels.as_ref())
            .flatten()
            .copied()
            .filter(|v| v.is_finite())
            .fold(0.0_f64, f64::min);
        lowest.floor().clamp(LOWEST_DECADE, -1.0)
    }
}

/// Colour of a level on a scale from `floor` (dark) to 0 (yellow); exact zeros are black.
fn level_colour(level: f64, floor: f64) -> RGBColor {
    if level == f64::NEG_INFINITY {
        return BLACK;
    }
    ViridisRGB::get_color_normalized(level.clamp(floor, 0.0), floor, 0.0)
}

/// Runs of equal colour in one column, `(first index, last index, colour)` with 1-based
/// indices, binned to at most [`MAX_ROWS`] cells.
fn column_cells(levels: &[f64], floor: f64) -> Vec<(usize, usize, RGBColor)> {
    let bin = levels.len().div_ceil(MAX_ROWS).max(1);
    let mut cells: Vec<(usize, usize, RGBColor)> = Vec::new();
    for (k, chunk) in levels.chunks(bin).enumerate() {
        let smallest = chunk.iter().copied().fold(f64::INFINITY, f64::min);
        let colour = level_colour(smallest, floor);
        let (first, last) = (k * bin + 1, k * bin + chunk.len());
        match cells.last_mut() {
            Some(cell) if cell.2 == colour => cell.1 = last,
            _ => cells.push((first, last, colour)),
        }
    }
    cells
}

const COLOUR_BAR_WIDTH: u32 = 150;
const MISSING: RGBColor = RGBColor(205, 205, 205);

impl Plot for SpectrumHeatMap {
    fn name(&self) -> String {
        format!("spectrum_hidden_{}_{}", self.dataset, self.stem)
    }

    fn size(&self) -> (u32, u32) {
        (1100, 560)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let max_layer = self.columns.iter().map(|c| c.layer).max().unwrap_or(1);
        let longest = self.longest();
        let floor = self.colour_floor();
        let root = root.titled(
            &format!(
                "Spectrum of each layer's representation — {}, {}",
                self.label,
                dataset_label(&self.dataset)
            ),
            ("sans-serif", 24),
        )?;
        let (plot_area, bar_area) =
            root.split_horizontally(root.dim_in_pixel().0 - COLOUR_BAR_WIDTH);
        let mut chart = ChartBuilder::on(&plot_area)
            .margin(14)
            .x_label_area_size(48)
            .y_label_area_size(70)
            .build_cartesian_2d(
                0.5f64..(max_layer as f64 + 0.5),
                0.5f64..(longest as f64 + 0.5),
            )?;
        chart
            .configure_mesh()
            .disable_mesh()
            .x_desc("layer (1 = first weighted layer)")
            .y_desc("singular value index (1 = σmax)")
            .axis_desc_style(("sans-serif", 17))
            .label_style(("sans-serif", 15))
            .x_label_formatter(&|x| format!("{x:.0}"))
            .y_label_formatter(&|y| format!("{y:.0}"))
            .draw()?;
        for column in &self.columns {
            let (x0, x1) = (column.layer as f64 - 0.5, column.layer as f64 + 0.5);
            match &column.levels {
                Some(levels) => chart.draw_series(column_cells(levels, floor).into_iter().map(
                    |(first, last, colour)| {
                        Rectangle::new(
                            [(x0, first as f64 - 0.5), (x1, last as f64 + 0.5)],
                            colour.filled(),
                        )
                    },
                ))?,
                None => chart.draw_series(std::iter::once(Rectangle::new(
                    [(x0, 0.5), (x1, longest as f64 + 0.5)],
                    MISSING.filled(),
                )))?,
            };
        }
        // The rank line breaks where a layer has no spectrum.
        for stretch in self.columns.split(|c| c.levels.is_none()) {
            let line = stretch
                .iter()
                .filter_map(|c| Some((c.layer as f64, c.rank? as f64)));
            chart.draw_series(LineSeries::new(line, RED.stroke_width(2)))?;
        }
        draw_colour_bar(&bar_area, floor, &self.tolerance)
    }
}

fn draw_colour_bar<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    floor: f64,
    tolerance: &str,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let (top, bottom, left, width) = (60, 420, 10, 24);
    let steps = 64;
    for k in 0..steps {
        let level = floor * k as f64 / steps as f64;
        let y0 = top + (bottom - top) * k / steps;
        let y1 = top + (bottom - top) * (k + 1) / steps;
        area.draw(&Rectangle::new(
            [(left, y0), (left + width, y1)],
            level_colour(level, floor).filled(),
        ))?;
    }
    area.draw(&Text::new(
        "log10 σ/σmax",
        (left - 4, top - 30),
        ("sans-serif", 15),
    ))?;
    let decades = (-floor) as i32;
    let every = (decades / 6).max(1);
    for d in (0..=decades).step_by(every as usize) {
        let y = top + ((bottom - top) as f64 * d as f64 / -floor) as i32;
        area.draw(&Text::new(
            format!("{}", -d),
            (left + width + 6, y - 7),
            ("sans-serif", 14),
        ))?;
    }
    let y = bottom + 20;
    area.draw(&Rectangle::new(
        [(left, y), (left + width, y + 12)],
        BLACK.filled(),
    ))?;
    area.draw(&Text::new(
        "σ = 0",
        (left + width + 6, y - 1),
        ("sans-serif", 14),
    ))?;
    area.draw(&Rectangle::new(
        [(left, y + 22), (left + width, y + 34)],
        MISSING.filled(),
    ))?;
    area.draw(&Text::new(
        "NaN/inf",
        (left + width + 6, y + 21),
        ("sans-serif", 14),
    ))?;
    area.draw(&PathElement::new(
        [(left, y + 50), (left + width, y + 50)],
        RED.stroke_width(2),
    ))?;
    area.draw(&Text::new(
        "rank,",
        (left + width + 6, y + 42),
        ("sans-serif", 14),
    ))?;
    area.draw(&Text::new(
        tolerance.to_string(),
        (left + width + 6, y + 58),
        ("sans-serif", 13),
    ))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_spectra_are_binned_by_their_smallest_value_and_equal_colours_merge() {
        let mut levels: Vec<f64> = (0..250).map(|i| -(i as f64) / 25.0).collect();
        levels.extend([f64::NEG_INFINITY; 50]);
        let cells = column_cells(&levels, -10.0);
        assert!(cells.len() <= MAX_ROWS, "{}", cells.len());
        assert_eq!(cells.first().map(|c| c.0), Some(1));
        assert_eq!(
            cells.last(),
            Some(&(250, 300, BLACK)),
            "the zero tail is one black cell"
        );
        // Contiguous: each cell starts where the last ended.
        assert!(cells.windows(2).all(|w| w[1].0 == w[0].1 + 1));
        assert_eq!(level_colour(0.0, -10.0), level_colour(3.0, -10.0));
        assert_ne!(level_colour(-1.0, -10.0), level_colour(-9.0, -10.0));
    }
}

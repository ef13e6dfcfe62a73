//! Drawing one figure twice, as SVG (for the report and for print) and as PNG.

use std::io::Cursor;

use plotters::coord::Shift;
use plotters::prelude::*;

use super::font;
use crate::ReportError;

pub(crate) type DrawResult = Result<(), Box<dyn std::error::Error>>;

/// Something that can draw itself on any plotters backend.
pub(crate) trait Plot {
    /// File stem, e.g. `condition_hidden_cifar10`.
    fn name(&self) -> String;
    fn size(&self) -> (u32, u32);
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static;
}

/// What a figure is about, for grouping in the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum FigureKind {
    /// Training loss and accuracy per epoch (paper Figs. 3-4).
    Training,
    /// Activation and weight distributions (paper Figs. 5-10).
    Histograms,
    /// Weight condition number per layer (paper Figs. 11-12).
    WeightCondition,
    /// Hidden-representation condition number per layer (paper Fig. 13).
    HiddenCondition,
    /// Effective rank of the hidden representations per layer (beyond the paper).
    EffectiveRank,
    /// One run's full hidden-representation spectra as a heat map (beyond the paper).
    SpectrumHeatMap,
    /// The studies beyond the paper (the report's "Beyond the paper" section).
    BeyondPaper,
    /// Accuracy and onset of singularity against depth (beyond the paper).
    DepthSweep,
}

/// A rendered figure.
#[derive(Debug, Clone)]
pub struct Figure {
    pub name: String,
    pub kind: FigureKind,
    pub dataset: String,
    /// A sentence that says what the figure shows, for captions.
    pub caption: String,
    pub svg: String,
    pub png: Vec<u8>,
}

/// The last index of `n` columns on a segmented axis: plotters' `(0..k).into_segmented()`
/// has a segment for each of `0..=k`.
pub(crate) fn last_index(n: usize) -> i32 {
    (n as i32 - 1).max(0)
}

/// A figure's name becomes a file name: a data set such as `idx:/data/kmnist` must not turn
/// into folders, so every character outside `[A-Za-z0-9._-]` becomes `_`.
fn file_safe(name: &str) -> String {
    name.chars()
        .map(|c| match c {
            'a'..='z' | 'A'..='Z' | '0'..='9' | '.' | '_' | '-' => c,
            _ => '_',
        })
        .collect()
}

pub(crate) fn render(
    plot: &impl Plot,
    kind: FigureKind,
    dataset: &str,
    caption: String,
) -> Result<Figure, ReportError> {
    font::ensure_registered()?;
    let name = file_safe(&plot.name());
    let (w, h) = plot.size();
    let plot_err = |e: Box<dyn std::error::Error>| ReportError::Plot {
        figure: name.clone(),
        message: e.to_string(),
    };
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (w, h)).into_drawing_area();
        draw_on(plot, &root).map_err(plot_err)?;
    }
    let mut pixels = vec![0u8; w as usize * h as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut pixels, (w, h)).into_drawing_area();
        draw_on(plot, &root).map_err(plot_err)?;
    }
    let png = encode_png(&name, w, h, pixels)?;
    Ok(Figure {
        name,
        kind,
        dataset: dataset.to_string(),
        caption,
        svg,
        png,
    })
}

fn draw_on<DB: DrawingBackend>(plot: &impl Plot, root: &DrawingArea<DB, Shift>) -> DrawResult
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE)?;
    plot.draw(root)?;
    root.present()?;
    Ok(())
}

fn encode_png(name: &str, w: u32, h: u32, pixels: Vec<u8>) -> Result<Vec<u8>, ReportError> {
    let err = |message: String| ReportError::Png {
        figure: name.to_string(),
        message,
    };
    let image = image::RgbImage::from_raw(w, h, pixels)
        .ok_or_else(|| err("pixel buffer does not match the figure size".into()))?;
    let mut bytes = Cursor::new(Vec::new());
    image
        .write_to(&mut bytes, image::ImageFormat::Png)
        .map_err(|e| err(e.to_string()))?;
    Ok(bytes.into_inner())
}

#[cfg(test)]
mod tests {
    use super::file_safe;

    #[test]
    fn figure_names_of_idx_data_sets_stay_one_file_name() {
        assert_eq!(
            file_safe("condition_hidden_idx:/tmp/x y"),
            "condition_hidden_idx__tmp_x_y"
        );
        assert_eq!(file_safe("training_cifar10"), "training_cifar10");
    }
}

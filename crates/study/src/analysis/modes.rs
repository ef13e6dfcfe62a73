//! The per-mode (HOSVD) view of the hidden representations: every mode unfolding's condition
//! number, written to `hidden_modes.csv` when `--view modes` asks for it.

use deepskip_spectra::records::ModeConditionRow;
use deepskip_spectra::{HiddenRepresentation, Tolerance};

/// Which views of the hidden representations an analysis computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum RepresentationView {
    /// The N x C*H*W matrix of paper.md (the main table).
    #[default]
    Flattened,
    /// Also every mode unfolding of the N x C x H x W tensor (HOSVD view), in hidden_modes.csv.
    Modes,
}

/// One row per mode of `rep`; a layer that cannot be analysed gets NaN rows and a warning.
pub fn mode_rows(
    layer: usize,
    name: &str,
    rep: &HiddenRepresentation<'_>,
    tolerance: Tolerance,
    warnings: &mut Vec<String>,
) -> Vec<ModeConditionRow> {
    match rep.mode_condition_numbers(tolerance) {
        Ok(modes) => modes
            .into_iter()
            .enumerate()
            .map(|(k, c)| ModeConditionRow {
                layer,
                name: name.to_owned(),
                mode: k + 1,
                shape: format!("{}x{}", c.rows, c.cols),
                sigma_max: c.sigma_max,
                sigma_min: c.sigma_min,
                kappa: c.kappa,
                rank: c.numerical_rank,
                tolerance: tolerance.to_string(),
            })
            .collect(),
        Err(err) => {
            warnings.push(format!(
                "layer {layer} ({name}): no mode condition numbers: {err}"
            ));
            (1..=rep.shape.len())
                .map(|mode| ModeConditionRow {
                    layer,
                    name: name.to_owned(),
                    mode,
                    shape: String::new(),
                    sigma_max: f64::NAN,
                    sigma_min: f64::NAN,
                    kappa: f64::NAN,
                    rank: 0,
                    tolerance: tolerance.to_string(),
                })
                .collect()
        }
    }
}

//! `deepskip spectra`: condition number, extreme singular values and numerical rank of one
//! matrix stored as a `.npy` file.

use anyhow::Context;
use clap::Args;
use deepskip_spectra::{ConditionNumber, NpyArray, Tolerance};
use std::path::PathBuf;
use std::process::ExitCode;

/// Condition number of a .npy matrix (f32 or f64, C or Fortran order). Arrays with more than
/// two dimensions are flattened to N x (product of the rest), samples first. Singular values
/// at or below the tolerance count as zero (default: the rounding of the file's dtype,
/// u * ||A||_F, plus the f64 SVD error); the condition number of a rank-deficient matrix is
/// inf.
#[derive(Debug, Args)]
pub struct SpectraArgs {
    /// The .npy file (numpy.save of a float32 or float64 array with at least two dimensions).
    pub file: PathBuf,
    /// Print one JSON object (shape, sigma_max, sigma_min, kappa, numerical_rank, full_rank,
    /// tolerance, threshold, stable_rank, effective_rank, singular_values); kappa is the
    /// string "inf" when infinite.
    #[arg(long)]
    pub json: bool,
    /// Which singular values count as zero: data-precision (default), numpy-f32 (max(N, D) *
    /// eps_f32 * sigma_max), relative:R (R * sigma_max) or absolute:A.
    #[arg(long, default_value = "data-precision")]
    pub tolerance: Tolerance,
}

impl SpectraArgs {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let array = NpyArray::read(&self.file)?;
        let tolerance = self.tolerance;
        let (rows, cols) = array.matrix_shape();
        if array.shape.len() > 2 {
            // On stderr, so that --json output stays one parseable object.
            eprintln!(
                "note: {}-D array of shape {:?} flattened to {rows} x {cols} (first axis against the rest)",
                array.shape.len(),
                array.shape
            );
        }
        let spectrum = array
            .spectrum()
            .with_context(|| format!("analysing {}", self.file.display()))?;
        let c = spectrum.condition_number(tolerance)?;
        let measures = spectrum.measures()?;
        if self.json {
            let mut report = json_report(&c);
            report["tolerance"] = tolerance.to_string().into();
            report["threshold"] = c.tolerance.into();
            report["stable_rank"] = measures.stable_rank.into();
            report["effective_rank"] = measures.effective_rank.into();
            report["singular_values"] = spectrum.raw.clone().into();
            println!("{}", serde_json::to_string_pretty(&report)?);
        } else {
            print_text(&self.file, array.dtype(), &c);
            println!("tolerance rule:   {tolerance}");
            println!("stable rank:      {:.4}", measures.stable_rank);
            println!("effective rank:   {:.4}", measures.effective_rank);
        }
        Ok(ExitCode::SUCCESS)
    }
}

fn json_report(c: &ConditionNumber) -> serde_json::Value {
    let kappa = if c.kappa.is_infinite() {
        serde_json::Value::from("inf")
    } else {
        serde_json::Value::from(c.kappa)
    };
    serde_json::json!({
        "shape": [c.rows, c.cols],
        "sigma_max": c.sigma_max,
        "sigma_min": c.sigma_min,
        "kappa": kappa,
        "numerical_rank": c.numerical_rank,
        "full_rank": c.full_rank,
    })
}

fn print_text(file: &std::path::Path, dtype: &str, c: &ConditionNumber) {
    let kappa = if c.full_rank {
        format!("{:.6e}", c.kappa)
    } else {
        "inf (numerically rank-deficient)".to_owned()
    };
    println!("file:             {} ({dtype})", file.display());
    println!("shape:            {} x {}", c.rows, c.cols);
    println!("condition number: {kappa}");
    println!("sigma_max:        {:.6e}", c.sigma_max);
    println!("sigma_min:        {:.6e}", c.sigma_min);
    println!(
        "numerical rank:   {} of {} (tolerance {:.3e})",
        c.numerical_rank,
        c.rows.min(c.cols),
        c.tolerance
    );
}

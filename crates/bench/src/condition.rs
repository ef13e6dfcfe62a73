//! Condition numbers of `.npy` matrices with deepskip-spectra, timed per matrix from the
//! loaded f32 array to kappa (promotion to f64, reduction, LAPACK), as `bench/reference/svd.py`
//! times NumPy from the loaded array to kappa.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::Args;
use deepskip_spectra::{NpyArray, Tolerance};
use serde_json::{json, Value};

use crate::peak_memory::peak_rss_kib;

#[derive(Debug, Args)]
pub struct ConditionArgs {
    /// The .npy files, factored in this order.
    #[arg(required = true)]
    files: Vec<PathBuf>,
}

pub fn run(args: &ConditionArgs) -> Result<Value> {
    let mut kappas = Vec::with_capacity(args.files.len());
    let mut seconds = Vec::with_capacity(args.files.len());
    for file in &args.files {
        let array = NpyArray::read(file).with_context(|| format!("reading {}", file.display()))?;
        let start = Instant::now();
        let condition = array
            .condition_number(Tolerance::DataPrecision)
            .with_context(|| format!("condition number of {}", file.display()))?;
        seconds.push(start.elapsed().as_secs_f64());
        kappas.push(kappa_json(condition.kappa));
    }
    Ok(json!({
        "side": "deepskip",
        "kappas": kappas,
        "seconds": seconds,
        "peak_rss_kib": peak_rss_kib(),
    }))
}

/// JSON has no infinity: `"inf"`, as the spectra schema writes it.
fn kappa_json(kappa: f64) -> Value {
    if kappa.is_finite() {
        json!(kappa)
    } else {
        json!("inf")
    }
}

//! Deterministic benchmark matrices, written as f32 `.npy` files that both deepskip and NumPy
//! read, so both sides factor exactly the same numbers.
//!
//! Entries are uniform in [-1, 1) from a counter-based hash (SplitMix64 of seed, matrix and
//! position), with row `i` scaled by `2^(-i / 100)` so kappa is in the tens to hundreds, like
//! hidden representations rather than like pure noise. Every fourth matrix (index 1, 5, 9, ...)
//! has row 1 equal to row 0: exactly rank-deficient, kappa = inf on both sides.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::Args;
use ndarray::Array2;
use serde_json::{json, Value};

#[derive(Debug, Args)]
pub struct WriteMatricesArgs {
    /// Output directory (created if missing).
    #[arg(long)]
    dir: PathBuf,
    #[arg(long)]
    rows: usize,
    #[arg(long)]
    cols: usize,
    #[arg(long)]
    count: usize,
    /// File name prefix, e.g. `m500x16384`.
    #[arg(long)]
    prefix: String,
    #[arg(long, default_value_t = 0)]
    seed: u64,
}

pub fn run(args: &WriteMatricesArgs) -> Result<Value> {
    std::fs::create_dir_all(&args.dir)
        .with_context(|| format!("creating {}", args.dir.display()))?;
    let mut files = Vec::with_capacity(args.count);
    let mut rank_deficient = Vec::new();
    for index in 0..args.count {
        let matrix = generate(args.rows, args.cols, args.seed, index as u64);
        if is_rank_deficient(index) {
            rank_deficient.push(index);
        }
        let path = args.dir.join(format!("{}_{index:04}.npy", args.prefix));
        write(&path, &matrix)?;
        files.push(path);
    }
    Ok(json!({ "files": files, "rank_deficient": rank_deficient }))
}

pub fn is_rank_deficient(index: usize) -> bool {
    index % 4 == 1
}

/// Matrix `index` of the set `seed` (see the module docs).
pub fn generate(rows: usize, cols: usize, seed: u64, index: u64) -> Array2<f32> {
    let mut matrix = Array2::from_shape_fn((rows, cols), |(i, j)| {
        let counter = (index << 40) ^ ((i as u64) * cols as u64 + j as u64);
        let uniform = (splitmix64(seed ^ splitmix64(counter)) >> 40) as f32 / (1u64 << 24) as f32;
        (2.0 * uniform - 1.0) * (-(i as f32) / 100.0).exp2()
    });
    if is_rank_deficient(index as usize) && rows >= 2 {
        let first = matrix.row(0).to_owned();
        matrix.row_mut(1).assign(&first);
    }
    matrix
}

fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Writes to a temporary name first, then renames (the workspace's atomic writer).
fn write(path: &Path, matrix: &Array2<f32>) -> Result<()> {
    deepskip_atomic_write::write_with(path, |tmp| {
        ndarray_npy::write_npy(tmp, matrix).map_err(std::io::Error::other)
    })
    .with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

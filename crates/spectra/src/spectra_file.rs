//! Every analysed layer's full spectrum, one safetensors file per run
//! (`<run>/analysis/spectra.safetensors`), so that any later report can re-threshold, plot or
//! compare spectra without recomputing them.
//!
//! # Format
//!
//! A standard safetensors file (readable with `safetensors.numpy.load_file` in Python):
//! - tensors `hidden.L.raw`, `hidden.L.centred`, `weight.L.raw`, `weight.L.centred`: F64
//!   vectors of all `min(rows, cols)` singular values, descending, for layer `L` (1-based,
//!   zero-padded to four digits so the names sort in layer order);
//! - metadata `format` = `deepskip-spectra/1` and `layers` = a JSON array with one object per
//!   layer: `kind` (`hidden` or `weight`), `layer`, `name`, `groups`, and either `rows`,
//!   `cols`, `precision` (`f32`/`f64`, the precision the matrix was stored in) for an analysed
//!   layer, or `non_finite` = `[count, total]` for a layer with NaN/inf values, or `failed` =
//!   the error message. Layers without a spectrum have no tensors.

use crate::element::Precision;
use crate::error::{Result, SpectraError};
use crate::spectrum::Spectrum;
use safetensors::tensor::{Dtype, SafeTensors, TensorView};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::Path;

/// The `format` metadata value this version writes and reads.
pub const SPECTRA_FORMAT: &str = "deepskip-spectra/1";

/// What became of one layer's matrix.
#[derive(Debug, Clone, PartialEq)]
pub enum LayerOutcome {
    Analysed(Spectrum),
    /// `count` of the `total` values were NaN or infinite: no singular values exist.
    NonFinite {
        count: usize,
        total: usize,
    },
    /// Any other failure (shape, LAPACK), with its message.
    Failed(String),
}

impl LayerOutcome {
    /// The outcome of an analysis: a non-finite matrix is its own case, not a failure.
    pub fn of(result: Result<Spectrum>) -> Self {
        match result {
            Ok(spectrum) => LayerOutcome::Analysed(spectrum),
            Err(SpectraError::NonFinite { count, total, .. }) => {
                LayerOutcome::NonFinite { count, total }
            }
            Err(other) => LayerOutcome::Failed(other.to_string()),
        }
    }
}

/// One layer's spectrum with its place in the network.
#[derive(Debug, Clone, PartialEq)]
pub struct LayerSpectrum {
    /// 1-based weighted-layer index.
    pub layer: usize,
    pub name: String,
    /// The convolution's group count (1 for dense weights and hidden representations).
    pub groups: usize,
    pub outcome: LayerOutcome,
}

/// The spectra of one run's analysis.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RunSpectra {
    pub hidden: Vec<LayerSpectrum>,
    pub weights: Vec<LayerSpectrum>,
}

#[derive(Serialize, Deserialize)]
struct LayerHeader {
    kind: String,
    layer: usize,
    name: String,
    groups: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    rows: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    cols: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    precision: Option<Precision>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    non_finite: Option<[usize; 2]>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    failed: Option<String>,
}

const HIDDEN: &str = "hidden";
const WEIGHT: &str = "weight";

fn tensor_name(kind: &str, layer: usize, which: &str) -> String {
    format!("{kind}.{layer:04}.{which}")
}

impl RunSpectra {
    /// The safetensors bytes of the file (write them atomically: temporary file, rename).
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        let mut headers = Vec::new();
        let mut tensors: Vec<(String, Vec<u8>)> = Vec::new();
        for (kind, layers) in [(HIDDEN, &self.hidden), (WEIGHT, &self.weights)] {
            for l in layers {
                headers.push(header(kind, l));
                if let LayerOutcome::Analysed(s) = &l.outcome {
                    for (which, values) in [("raw", &s.raw), ("centred", &s.centred)] {
                        let bytes = values.iter().flat_map(|v| v.to_le_bytes()).collect();
                        tensors.push((tensor_name(kind, l.layer, which), bytes));
                    }
                }
            }
        }
        let views = tensors
            .iter()
            .map(|(name, bytes)| {
                let view = TensorView::new(Dtype::F64, vec![bytes.len() / 8], bytes)
                    .expect("eight bytes per f64");
                (name.clone(), view)
            })
            .collect::<Vec<_>>();
        let metadata = HashMap::from([
            ("format".to_owned(), SPECTRA_FORMAT.to_owned()),
            (
                "layers".to_owned(),
                serde_json::to_string(&headers).expect("headers serialise"),
            ),
        ]);
        safetensors::tensor::serialize(views, &Some(metadata)).map_err(|e| {
            SpectraError::MalformedSpectra {
                path: "(being written)".into(),
                message: e.to_string(),
            }
        })
    }

    /// Parses the bytes of a spectra file; `path` names it in errors.
    pub fn from_bytes(bytes: &[u8], path: &Path) -> Result<Self> {
        let bad = |message: String| SpectraError::MalformedSpectra {
            path: path.to_owned(),
            message,
        };
        let (_, metadata) = SafeTensors::read_metadata(bytes).map_err(|e| bad(e.to_string()))?;
        let meta = metadata.metadata().clone().unwrap_or_default();
        match meta.get("format") {
            Some(f) if f == SPECTRA_FORMAT => {}
            other => {
                return Err(bad(format!(
                    "format {other:?}, expected {SPECTRA_FORMAT:?}"
                )))
            }
        }
        let headers: Vec<LayerHeader> = serde_json::from_str(
            meta.get("layers")
                .ok_or_else(|| bad("no layers metadata".into()))?,
        )
        .map_err(|e| bad(format!("layers metadata: {e}")))?;
        let file = SafeTensors::deserialize(bytes).map_err(|e| bad(e.to_string()))?;
        let values = |kind: &str, layer: usize, which: &str| -> Result<Vec<f64>> {
            let name = tensor_name(kind, layer, which);
            let view = file
                .tensor(&name)
                .map_err(|e| bad(format!("{name}: {e}")))?;
            if view.dtype() != Dtype::F64 {
                return Err(bad(format!(
                    "{name}: dtype {:?}, expected F64",
                    view.dtype()
                )));
            }
            Ok(view
                .data()
                .chunks_exact(8)
                .map(|b| f64::from_le_bytes(b.try_into().expect("chunks of eight")))
                .collect())
        };
        let mut out = RunSpectra::default();
        for h in headers {
            let outcome = match (h.rows, h.cols, h.precision, h.non_finite, h.failed) {
                (Some(rows), Some(cols), Some(precision), None, None) => {
                    LayerOutcome::Analysed(Spectrum {
                        rows,
                        cols,
                        precision,
                        raw: values(&h.kind, h.layer, "raw")?,
                        centred: values(&h.kind, h.layer, "centred")?,
                    })
                }
                (None, None, None, Some([count, total]), None) => {
                    LayerOutcome::NonFinite { count, total }
                }
                (None, None, None, None, Some(message)) => LayerOutcome::Failed(message),
                _ => return Err(bad(format!("layer {}: inconsistent header", h.layer))),
            };
            let layer = LayerSpectrum {
                layer: h.layer,
                name: h.name,
                groups: h.groups,
                outcome,
            };
            match h.kind.as_str() {
                HIDDEN => out.hidden.push(layer),
                WEIGHT => out.weights.push(layer),
                other => return Err(bad(format!("unknown kind {other:?}"))),
            }
        }
        Ok(out)
    }

    /// Reads a file written from [`RunSpectra::to_bytes`].
    pub fn read(path: &Path) -> Result<Self> {
        let bytes = std::fs::read(path).map_err(|source| SpectraError::Io {
            path: path.to_owned(),
            source,
        })?;
        Self::from_bytes(&bytes, path)
    }
}

fn header(kind: &str, l: &LayerSpectrum) -> LayerHeader {
    let mut h = LayerHeader {
        kind: kind.to_owned(),
        layer: l.layer,
        name: l.name.clone(),
        groups: l.groups,
        rows: None,
        cols: None,
        precision: None,
        non_finite: None,
        failed: None,
    };
    match &l.outcome {
        LayerOutcome::Analysed(s) => {
            (h.rows, h.cols, h.precision) = (Some(s.rows), Some(s.cols), Some(s.precision));
        }
        LayerOutcome::NonFinite { count, total } => h.non_finite = Some([*count, *total]),
        LayerOutcome::Failed(message) => h.failed = Some(message.clone()),
    }
    h
}

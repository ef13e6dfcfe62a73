//! The input element types (f32, f64) and what the analysis needs to know about them.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The precision of the values that were analysed (not of the SVD, which always runs in f64).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Precision {
    F32,
    F64,
}

impl Precision {
    /// Machine epsilon (the gap between 1 and the next value): 2^-23 for f32, 2^-52 for f64.
    pub fn epsilon(self) -> f64 {
        match self {
            Precision::F32 => f64::from(f32::EPSILON),
            Precision::F64 => f64::EPSILON,
        }
    }

    /// Unit roundoff `u = epsilon / 2`: rounding to nearest moves `x` by at most `u * |x|`.
    pub fn unit_roundoff(self) -> f64 {
        self.epsilon() / 2.0
    }

    /// `f32` or `f64`.
    pub fn name(self) -> &'static str {
        match self {
            Precision::F32 => "f32",
            Precision::F64 => "f64",
        }
    }

    /// Parses `f32` or `f64` (the names [`Precision::name`] writes).
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "f32" => Some(Precision::F32),
            "f64" => Some(Precision::F64),
            _ => None,
        }
    }
}

impl fmt::Display for Precision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A real floating-point input element: promoted to f64 for the SVD, while its own precision
/// sets the default rank tolerance (see [`crate::Tolerance`]).
pub trait Element: Copy + Send + Sync + 'static {
    /// The precision of this element type.
    const PRECISION: Precision;
    /// Lossless promotion to f64.
    fn to_f64(self) -> f64;
}

impl Element for f32 {
    const PRECISION: Precision = Precision::F32;
    fn to_f64(self) -> f64 {
        f64::from(self)
    }
}

impl Element for f64 {
    const PRECISION: Precision = Precision::F64;
    fn to_f64(self) -> f64 {
        self
    }
}

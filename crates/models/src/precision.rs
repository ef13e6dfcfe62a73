//! The floating-point precision a network computes in, and how its BN layers compute their
//! batch statistics.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use tch::Kind;

/// The precision of a network's weights, activations and gradients.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Precision {
    /// IEEE single precision, libtorch's default.
    #[default]
    F32,
    /// IEEE double precision: about 5x slower on a CPU, but BN statistics of inputs up to
    /// about 1e150 stay finite (f32 overflows past about 1e18, see docs/findings.md).
    F64,
}

impl Precision {
    pub fn kind(self) -> Kind {
        match self {
            Precision::F32 => Kind::Float,
            Precision::F64 => Kind::Double,
        }
    }
}

impl fmt::Display for Precision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Precision::F32 => "f32",
            Precision::F64 => "f64",
        })
    }
}

impl FromStr for Precision {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "f32" | "float32" | "float" => Ok(Precision::F32),
            "f64" | "float64" | "double" => Ok(Precision::F64),
            other => Err(format!("unknown precision `{other}`: use f32 or f64")),
        }
    }
}

/// The precision BN layers compute their batch statistics (mean, variance) and normalisation
/// in, independently of the network's [`Precision`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BnStats {
    /// The network's own precision (libtorch's batch norm as it is).
    #[default]
    Native,
    /// Always f64: the BN input is cast to f64 for the statistics and the normalisation and the
    /// output cast back, so an f32 network's statistics cannot overflow while its conv output
    /// is finite. The running statistics stay in the network's precision.
    F64,
}

impl fmt::Display for BnStats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BnStats::Native => "native",
            BnStats::F64 => "f64",
        })
    }
}

impl FromStr for BnStats {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "native" => Ok(BnStats::Native),
            "f64" | "float64" | "double" => Ok(BnStats::F64),
            other => Err(format!(
                "unknown BN statistics `{other}`: use native or f64"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_names_are_refused() {
        for p in [Precision::F32, Precision::F64] {
            assert_eq!(p.to_string().parse::<Precision>(), Ok(p));
        }
        for b in [BnStats::Native, BnStats::F64] {
            assert_eq!(b.to_string().parse::<BnStats>(), Ok(b));
        }
        assert!("f16"
            .parse::<Precision>()
            .unwrap_err()
            .contains("f32 or f64"));
        assert_eq!(Precision::F64.kind(), Kind::Double);
    }
}

//! The input element types (f32, f64) and what the analysis needs to know about them.

/// A real floating-point input element: promoted to f64 for the SVD, while its own machine
/// epsilon sets the rank tolerance (an f32 matrix cannot resolve singular values below about
/// 1e-7 of the largest, however precisely we factor it afterwards).
pub trait Element: Copy + Send + Sync + 'static {
    /// Machine epsilon of the input precision, as f64.
    const EPSILON: f64;
    /// A short name for messages (`f32`, `f64`).
    const NAME: &'static str;
    /// Lossless promotion to f64.
    fn to_f64(self) -> f64;
}

impl Element for f32 {
    const EPSILON: f64 = f32::EPSILON as f64;
    const NAME: &'static str = "f32";
    fn to_f64(self) -> f64 {
        f64::from(self)
    }
}

impl Element for f64 {
    const EPSILON: f64 = f64::EPSILON;
    const NAME: &'static str = "f64";
    fn to_f64(self) -> f64 {
        self
    }
}

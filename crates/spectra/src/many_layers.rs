//! Condition numbers of many layers at once, in parallel, with bounded memory.
//!
//! Each task promotes its own layer to f64, factors it and drops it before the next task
//! starts on that thread, so at most `threads` f64 matrices are alive at any moment (for
//! 500 x 16,384 that is 65.5 MB each), whatever the number of layers.
//!
//! # Threads
//!
//! OpenBLAS parallelises each factorisation itself, with as many threads as cores unless
//! `OPENBLAS_NUM_THREADS` says otherwise. It reads that variable once, when the library is
//! loaded at process start, so it cannot be changed from here without unsafe FFI. Running
//! several multi-threaded factorisations side by side would oversubscribe the cores, hence the
//! default pool size: one task at a time (OpenBLAS uses the cores) unless the process was
//! started with `OPENBLAS_NUM_THREADS=1`, in which case one task per core. Use
//! [`ManyLayers::threads`] to override.

use crate::condition_number::ConditionNumber;
use crate::error::Result;
use crate::hidden_representation::HiddenRepresentation;
use crate::spectrum::Spectrum;
use crate::tolerance::Tolerance;
use crate::weight::Weight;
use rayon::prelude::*;

/// A matrix that is materialised (in f64) only inside the task that analyses it.
pub trait LayerMatrix: Sync {
    /// Promotes, factors and drops the matrix.
    fn condition_number(&self, tolerance: Tolerance) -> Result<ConditionNumber>;
    /// Promotes, factors and drops the matrix, keeping all its singular values.
    fn spectrum(&self) -> Result<Spectrum>;
}

impl LayerMatrix for HiddenRepresentation<'_> {
    fn condition_number(&self, tolerance: Tolerance) -> Result<ConditionNumber> {
        HiddenRepresentation::condition_number(self, tolerance)
    }
    fn spectrum(&self) -> Result<Spectrum> {
        HiddenRepresentation::spectrum(self)
    }
}

impl LayerMatrix for Weight<'_> {
    fn condition_number(&self, tolerance: Tolerance) -> Result<ConditionNumber> {
        Weight::condition_number(self, tolerance)
    }
    fn spectrum(&self) -> Result<Spectrum> {
        Weight::spectrum(self)
    }
}

/// A parallel map of condition numbers over layers.
#[derive(Debug, Clone)]
pub struct ManyLayers {
    threads: usize,
    tolerance: Tolerance,
}

impl Default for ManyLayers {
    fn default() -> Self {
        Self {
            threads: default_threads(),
            tolerance: Tolerance::DataPrecision,
        }
    }
}

impl ManyLayers {
    /// The default pool size (see the module docs) and tolerance.
    pub fn new() -> Self {
        Self::default()
    }

    /// Runs at most `threads` factorisations at once (at least 1).
    pub fn threads(mut self, threads: usize) -> Self {
        self.threads = threads.max(1);
        self
    }

    /// The tolerance applied to every layer.
    pub fn tolerance(mut self, tolerance: Tolerance) -> Self {
        self.tolerance = tolerance;
        self
    }

    /// How many factorisations run at once.
    pub fn thread_count(&self) -> usize {
        self.threads
    }

    /// One result per layer, in the order of `layers`; a failing layer does not stop the
    /// others.
    pub fn condition_numbers<L: LayerMatrix>(&self, layers: &[L]) -> Vec<Result<ConditionNumber>> {
        self.map(layers, |layer| layer.condition_number(self.tolerance))
    }

    /// Every layer's full spectrum, in the order of `layers`; a failing layer does not stop the
    /// others.
    pub fn spectra<L: LayerMatrix>(&self, layers: &[L]) -> Vec<Result<Spectrum>> {
        self.map(layers, LayerMatrix::spectrum)
    }

    fn map<L: LayerMatrix, T: Send>(
        &self,
        layers: &[L],
        analyse: impl Fn(&L) -> Result<T> + Sync,
    ) -> Vec<Result<T>> {
        let run = || layers.par_iter().map(&analyse).collect();
        if self.threads == 1 {
            return layers.iter().map(&analyse).collect();
        }
        match rayon::ThreadPoolBuilder::new()
            .num_threads(self.threads)
            .build()
        {
            Ok(pool) => pool.install(run),
            // No pool (e.g. thread creation refused): the global one still bounds memory.
            Err(_) => run(),
        }
    }
}

/// One task at a time unless OpenBLAS was started single-threaded, then one per core.
pub fn default_threads() -> usize {
    let blas_single = std::env::var("OPENBLAS_NUM_THREADS").is_ok_and(|v| v.trim() == "1");
    if blas_single {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        1
    }
}

//! Device helpers for callers that train or evaluate networks.

use tch::Cuda;

/// Turns on cuDNN's autotuner (fixed input shapes train faster); returns whether CUDA is there.
/// Mixed precision is left to the caller: wrap the forward pass in `tch::autocast(true, || ..)`.
pub fn enable_cudnn_benchmark() -> bool {
    let available = Cuda::is_available();
    if available {
        Cuda::cudnn_set_benchmark(true);
    }
    available
}

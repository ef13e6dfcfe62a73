//! Device helpers for callers that train or evaluate networks.

use std::sync::Mutex;
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

/// Callers inside [`with_ieee_f32_convolutions`], and whether cuDNN was on before the first.
static IEEE_F32_HOLDERS: Mutex<(usize, bool)> = Mutex::new((0, true));

/// Runs `f` with cuDNN switched off, so that CUDA convolutions compute in IEEE f32.
///
/// libtorch lets cuDNN use TF32 (a 10-bit mantissa, about 1e-3 relative error) by default, and
/// tch 0.24 exposes no setter for that flag (`torch.backends.cudnn.allow_tf32`); it does expose
/// cuDNN's on/off switch. Without cuDNN, libtorch's own CUDA convolutions go through cuBLAS,
/// whose TF32 use is off by default. Measuring smallest singular values needs the full
/// precision. The switch is process-wide: while any caller is inside, every other CUDA
/// convolution of the process (another job's training) also runs without cuDNN, slower but
/// not less precise. On the CPU the switch changes nothing.
pub fn with_ieee_f32_convolutions<T>(f: impl FnOnce() -> T) -> T {
    {
        let mut holders = IEEE_F32_HOLDERS.lock().unwrap_or_else(|e| e.into_inner());
        if holders.0 == 0 {
            holders.1 = Cuda::user_enabled_cudnn();
            Cuda::set_user_enabled_cudnn(false);
        }
        holders.0 += 1;
    }
    struct Release;
    impl Drop for Release {
        fn drop(&mut self) {
            let mut holders = IEEE_F32_HOLDERS.lock().unwrap_or_else(|e| e.into_inner());
            holders.0 -= 1;
            if holders.0 == 0 {
                Cuda::set_user_enabled_cudnn(holders.1);
            }
        }
    }
    let _release = Release;
    f()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two callers overlapping: cuDNN stays off until the last one leaves, then is restored.
    #[test]
    fn cudnn_is_off_while_any_caller_is_inside_and_restored_after() {
        assert!(Cuda::user_enabled_cudnn());
        let (inside_tx, inside_rx) = std::sync::mpsc::channel();
        let (leave_tx, leave_rx) = std::sync::mpsc::channel::<()>();
        std::thread::scope(|scope| {
            scope.spawn(move || {
                with_ieee_f32_convolutions(|| {
                    inside_tx.send(()).unwrap();
                    leave_rx.recv().unwrap();
                })
            });
            inside_rx.recv().unwrap();
            let seen = with_ieee_f32_convolutions(Cuda::user_enabled_cudnn);
            assert!(!seen);
            assert!(
                !Cuda::user_enabled_cudnn(),
                "the other caller is still inside"
            );
            leave_tx.send(()).unwrap();
        });
        assert!(Cuda::user_enabled_cudnn());
    }
}

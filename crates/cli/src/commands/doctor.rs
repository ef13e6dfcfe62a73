//! `deepskip doctor`: whether this binary can train on a GPU, and the loud warning `--device
//! auto` gives when a GPU is present but this binary cannot use it.

use std::path::Path;
use std::process::{Command, ExitCode, Stdio};

use clap::Args;

/// Report whether CUDA is compiled in (libtorch's CUDA backend linked), available, and how many
/// devices libtorch sees.
#[derive(Debug, Args)]
pub struct DoctorArgs {}

impl DoctorArgs {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        println!("deepskip {}", env!("CARGO_PKG_VERSION"));
        for line in CudaStatus::probe().lines() {
            println!("{line}");
        }
        Ok(ExitCode::SUCCESS)
    }
}

/// What this process knows about CUDA.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CudaStatus {
    /// libtorch's CUDA backend (`libtorch_cuda.so`) is loaded into this process.
    pub compiled_in: bool,
    pub available: bool,
    pub devices: i64,
    pub cudnn: bool,
    /// The machine has an NVIDIA GPU (`/dev/nvidia0`, or `nvidia-smi -L` lists one).
    pub gpu_present: bool,
}

impl CudaStatus {
    pub fn probe() -> Self {
        Self {
            compiled_in: cuda_backend_loaded(),
            available: tch::Cuda::is_available(),
            devices: tch::Cuda::device_count(),
            cudnn: tch::Cuda::cudnn_is_available(),
            gpu_present: gpu_present(),
        }
    }

    pub fn lines(&self) -> Vec<String> {
        let yes_no = |b: bool| if b { "yes" } else { "no" };
        vec![
            format!(
                "CUDA compiled in: {}",
                if self.compiled_in {
                    "yes (libtorch_cuda.so linked)"
                } else {
                    "no (libtorch_cuda.so not linked)"
                }
            ),
            format!("CUDA available:   {}", yes_no(self.available)),
            format!("CUDA devices:     {}", self.devices),
            format!("cuDNN available:  {}", yes_no(self.cudnn)),
            format!("NVIDIA GPU seen:  {}", yes_no(self.gpu_present)),
        ]
    }

    /// Why `--device auto` will fall back to the CPU although the machine has a GPU, if it will.
    pub fn auto_device_warning(&self) -> Option<String> {
        if !self.gpu_present || self.available {
            return None;
        }
        let why = if self.compiled_in {
            "libtorch's CUDA backend is linked but reports no usable device (driver or \
             CUDA_VISIBLE_DEVICES?)"
        } else {
            "this deepskip binary was built without CUDA support (libtorch_cuda.so not linked; \
             build it against a CUDA libtorch, see docs/provisioning.md)"
        };
        Some(format!(
            "WARNING: this machine has an NVIDIA GPU, but {why}.\nWARNING: --device auto trains \
             on the CPU; run `deepskip doctor` for details, or pass --device cpu to silence this."
        ))
    }
}

/// Prints [`CudaStatus::auto_device_warning`] when the device was left to `auto`.
pub fn warn_if_auto_misses_gpu(device_is_auto: bool) {
    if !device_is_auto {
        return;
    }
    if let Some(warning) = CudaStatus::probe().auto_device_warning() {
        eprintln!("{warning}");
    }
}

fn cuda_backend_loaded() -> bool {
    std::fs::read_to_string("/proc/self/maps").is_ok_and(|maps| maps.contains("libtorch_cuda"))
}

fn gpu_present() -> bool {
    Path::new("/dev/nvidia0").exists()
        || Command::new("nvidia-smi")
            .arg("-L")
            .stderr(Stdio::null())
            .output()
            .is_ok_and(|out| out.status.success() && !out.stdout.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(compiled_in: bool, available: bool, gpu_present: bool) -> CudaStatus {
        CudaStatus {
            compiled_in,
            available,
            devices: i64::from(available),
            cudnn: available,
            gpu_present,
        }
    }

    #[test]
    fn a_gpu_without_cuda_support_is_warned_about() {
        let warning = status(false, false, true).auto_device_warning().unwrap();
        assert!(warning.contains("without CUDA support"), "{warning}");
        let warning = status(true, false, true).auto_device_warning().unwrap();
        assert!(warning.contains("no usable device"), "{warning}");
    }

    #[test]
    fn no_warning_without_a_gpu_or_with_a_usable_one() {
        assert_eq!(status(false, false, false).auto_device_warning(), None);
        assert_eq!(status(true, true, true).auto_device_warning(), None);
    }

    #[test]
    fn report_names_each_fact() {
        let lines = status(true, false, false).lines();
        assert_eq!(lines[0], "CUDA compiled in: yes (libtorch_cuda.so linked)");
        assert_eq!(lines[2], "CUDA devices:     0");
    }
}

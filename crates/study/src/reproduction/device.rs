//! Which devices the reproduction trains on: the one `DeviceChoice` (deepskip-train) spread
//! over the GPUs present and `--jobs`.

pub use deepskip_train::{device_name, DeviceChoice};

/// The devices the runs are spread over: one worker per device, one run at a time each.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DevicePool {
    pub devices: Vec<tch::Device>,
}

impl DevicePool {
    /// Resolves `choice` against the GPUs present; `jobs` caps the number of GPUs used (on the
    /// CPU a single worker: libtorch already uses every core for one run).
    pub fn resolve(choice: DeviceChoice, jobs: usize) -> anyhow::Result<DevicePool> {
        let gpus = if tch::Cuda::is_available() {
            tch::Cuda::device_count().max(0) as usize
        } else {
            0
        };
        Self::resolve_with(choice, jobs, gpus)
    }

    fn resolve_with(choice: DeviceChoice, jobs: usize, gpus: usize) -> anyhow::Result<DevicePool> {
        let jobs = jobs.max(1);
        let devices = match choice {
            DeviceChoice::Cpu => vec![tch::Device::Cpu],
            DeviceChoice::Auto if gpus == 0 => vec![tch::Device::Cpu],
            DeviceChoice::Auto | DeviceChoice::Cuda(None) => {
                anyhow::ensure!(
                    gpus > 0,
                    "--device cuda: no CUDA device is visible (libtorch built without CUDA, or no GPU); use --device cpu"
                );
                (0..jobs.min(gpus)).map(tch::Device::Cuda).collect()
            }
            DeviceChoice::Cuda(Some(n)) => {
                anyhow::ensure!(
                    n < gpus,
                    "--device cuda:{n}: only {gpus} CUDA device(s) visible; pick cuda:0..cuda:{}",
                    gpus.saturating_sub(1)
                );
                vec![tch::Device::Cuda(n)]
            }
        };
        Ok(DevicePool { devices })
    }

    /// Whether every run goes to the CPU.
    pub fn is_cpu_only(&self) -> bool {
        self.devices.iter().all(|d| *d == tch::Device::Cpu)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_without_gpus_is_one_cpu_worker_even_with_many_jobs() {
        let pool = DevicePool::resolve_with(DeviceChoice::Auto, 4, 0).unwrap();
        assert_eq!(pool.devices, vec![tch::Device::Cpu]);
    }

    #[test]
    fn jobs_spread_over_gpus_one_run_per_device() {
        let pool = DevicePool::resolve_with(DeviceChoice::Auto, 2, 4).unwrap();
        assert_eq!(
            pool.devices,
            vec![tch::Device::Cuda(0), tch::Device::Cuda(1)]
        );
        let pool = DevicePool::resolve_with(DeviceChoice::Cuda(None), 8, 3).unwrap();
        assert_eq!(pool.devices.len(), 3);
    }

    #[test]
    fn missing_gpu_is_an_error_that_names_the_fix() {
        let err = DevicePool::resolve_with(DeviceChoice::Cuda(Some(2)), 1, 1).unwrap_err();
        assert!(err.to_string().contains("cuda:0"), "{err}");
        assert!(DevicePool::resolve_with(DeviceChoice::Cuda(None), 1, 0).is_err());
    }
}

//! The one device choice of the workspace: `auto`, `cpu`, `cuda` or `cuda:N`, parsed once at
//! the edge ([`DeviceChoice`]) and resolved against the GPUs libtorch sees.

use crate::TrainError;
use std::fmt;
use std::str::FromStr;
use tch::{Cuda, Device};

/// A device as a user chooses it, before it is resolved against the machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceChoice {
    /// CUDA when libtorch sees a GPU, otherwise the CPU.
    Auto,
    Cpu,
    /// `cuda` (`None`: GPU 0, or from GPU 0 on for a pool) or `cuda:N` (only GPU N).
    Cuda(Option<usize>),
}

impl FromStr for DeviceChoice {
    type Err = TrainError;

    /// Case and surrounding blanks do not matter (`" CPU "` is `cpu`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let text = s.trim().to_ascii_lowercase();
        match text.as_str() {
            "auto" => Ok(DeviceChoice::Auto),
            "cpu" => Ok(DeviceChoice::Cpu),
            "cuda" => Ok(DeviceChoice::Cuda(None)),
            other => other
                .strip_prefix("cuda:")
                .and_then(|n| n.parse().ok())
                .map(|n| DeviceChoice::Cuda(Some(n)))
                .ok_or(TrainError::InvalidDevice(text)),
        }
    }
}

/// As it is parsed, so that a command line can be written back (a Slurm task gets the same).
impl fmt::Display for DeviceChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeviceChoice::Auto => f.write_str("auto"),
            DeviceChoice::Cpu => f.write_str("cpu"),
            DeviceChoice::Cuda(None) => f.write_str("cuda"),
            DeviceChoice::Cuda(Some(n)) => write!(f, "cuda:{n}"),
        }
    }
}

impl DeviceChoice {
    /// The one device a single run trains on: `auto` is the first GPU when libtorch sees one,
    /// else the CPU; a GPU that is not there is an error with the count.
    pub fn resolve(self) -> Result<Device, TrainError> {
        let index = match self {
            DeviceChoice::Auto => return Ok(Device::cuda_if_available()),
            DeviceChoice::Cpu => return Ok(Device::Cpu),
            DeviceChoice::Cuda(n) => n.unwrap_or(0),
        };
        let available = Cuda::device_count();
        if (index as i64) >= available {
            return Err(TrainError::DeviceUnavailable {
                requested: format!("cuda:{index}"),
                available,
            });
        }
        Ok(Device::Cuda(index))
    }
}

/// Resolves a device name (see [`DeviceChoice`]) to the device a run trains on.
pub fn parse_device(text: &str) -> Result<Device, TrainError> {
    text.parse::<DeviceChoice>()?.resolve()
}

/// How a device is written in configurations and outputs (`cpu`, `cuda:0`); it parses back.
pub fn device_name(device: Device) -> String {
    match device {
        Device::Cuda(n) => format!("cuda:{n}"),
        Device::Mps => "mps".into(),
        Device::Vulkan => "vulkan".into(),
        _ => "cpu".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_and_nonsense_is_refused() {
        let gpus = Cuda::device_count();
        assert_eq!(parse_device("cpu").unwrap(), Device::Cpu);
        assert_eq!(parse_device(" CPU ").unwrap(), Device::Cpu);
        let auto = if gpus == 0 {
            Device::Cpu
        } else {
            Device::Cuda(0)
        };
        assert_eq!(parse_device("auto").unwrap(), auto);
        for bad in ["tpu", "gpu", "cuda:x"] {
            let err = parse_device(bad).unwrap_err();
            assert!(
                matches!(err, TrainError::InvalidDevice(_)),
                "{bad}: {err:?}"
            );
            assert!(err.to_string().contains("cuda:N"), "{err}");
        }
        // One past the last GPU (cuda:0 on a machine without one) is refused, with the count.
        match parse_device(&format!("cuda:{gpus}")) {
            Err(TrainError::DeviceUnavailable {
                requested,
                available,
            }) => assert_eq!((requested, available), (format!("cuda:{gpus}"), gpus)),
            other => panic!("cuda:{gpus} with {gpus} GPUs gave {other:?}"),
        }
        if gpus > 0 {
            assert_eq!(parse_device("cuda").unwrap(), Device::Cuda(0));
            assert_eq!(
                parse_device(&format!("cuda:{}", gpus - 1)).unwrap(),
                Device::Cuda(gpus as usize - 1)
            );
        }
    }

    #[test]
    fn every_choice_prints_as_it_parses() {
        assert_eq!(
            "cuda:3".parse::<DeviceChoice>().unwrap(),
            DeviceChoice::Cuda(Some(3))
        );
        for text in ["auto", "cpu", "cuda", "cuda:3"] {
            assert_eq!(text.parse::<DeviceChoice>().unwrap().to_string(), text);
        }
        for device in [Device::Cpu, Device::Cuda(2)] {
            let back = device_name(device).parse::<DeviceChoice>().unwrap();
            assert_ne!(back, DeviceChoice::Auto);
        }
    }
}

//! The `--device` option: `auto`, `cpu`, `cuda` or `cuda:N`.

use crate::TrainError;
use tch::{Cuda, Device};

/// Resolves a device string; `auto` is the first GPU when libtorch sees one, else the CPU.
pub fn parse_device(text: &str) -> Result<Device, TrainError> {
    let text = text.trim().to_ascii_lowercase();
    let index = match text.as_str() {
        "auto" => return Ok(Device::cuda_if_available()),
        "cpu" => return Ok(Device::Cpu),
        "cuda" | "gpu" => 0,
        other => other
            .strip_prefix("cuda:")
            .and_then(|n| n.parse::<usize>().ok())
            .ok_or_else(|| TrainError::InvalidDevice(text.clone()))?,
    };
    let available = Cuda::device_count();
    if (index as i64) >= available {
        return Err(TrainError::DeviceUnavailable {
            requested: text,
            available,
        });
    }
    Ok(Device::Cuda(index))
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
        assert!(matches!(
            parse_device("tpu"),
            Err(TrainError::InvalidDevice(_))
        ));
        assert!(matches!(
            parse_device("cuda:x"),
            Err(TrainError::InvalidDevice(_))
        ));
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
}

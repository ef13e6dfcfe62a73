//! The `deepskip` command: the clap layer over the library crates. Each sub-command lives in
//! its own module under [`commands`]; the study's events are rendered by [`render`].

pub mod commands;
pub mod interrupt;
pub mod render;

/// The command-line advice for a library error that is phrased in the library's own terms
/// (fields of `TrainConfig`, "write the run elsewhere", "resume it").
pub fn flag_hint(err: &anyhow::Error) -> Option<String> {
    use deepskip_train::TrainError;
    let train = err.chain().find_map(|e| e.downcast_ref::<TrainError>())?;
    match train {
        TrainError::RunExists(_) => {
            Some("pass --resume to continue it, or another --out to start afresh".into())
        }
        TrainError::RunDirConflict { .. } => Some(
            "pass another --out, or --resume with the same options to continue that run".into(),
        ),
        TrainError::NotARunDir(_) | TrainError::Json { .. } => Some("pass another --out".into()),
        TrainError::NoCheckpoint(_) => Some("run without --resume to start afresh".into()),
        TrainError::DeviceUnavailable { .. } => Some("use --device cpu or auto".into()),
        TrainError::InvalidConfig(message) => {
            let flags = flags_in(message);
            (!flags.is_empty()).then(|| format!("fields map to flags: {}", flags.join(", ")))
        }
        _ => None,
    }
}

/// The flags named by `TrainConfig` fields in `message` (`batch_size` -> `--batch-size`).
fn flags_in(message: &str) -> Vec<String> {
    const FIELDS: [&str; 13] = [
        "amp",
        "precision",
        "epochs",
        "batch_size",
        "steps_per_epoch",
        "train_subset",
        "test_subset",
        "checkpoint_every",
        "image_size",
        "lr",
        "momentum",
        "weight_decay",
        "width_multiplier",
    ];
    message
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|word| FIELDS.contains(word))
        .map(|field| format!("{field} is --{}", field.replace('_', "-")))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn library_errors_get_the_flags_that_fix_them() {
        let exists = anyhow::Error::new(deepskip_train::TrainError::RunExists("r".into()));
        assert!(flag_hint(&exists).unwrap().contains("--resume"));
        let invalid = deepskip_train::TrainConfig {
            batch_size: 0,
            ..Default::default()
        }
        .validate()
        .unwrap_err();
        let hint = flag_hint(&anyhow::Error::new(invalid)).unwrap();
        assert_eq!(hint, "fields map to flags: batch_size is --batch-size");
    }
}

//! Reproduction profiles: how much of the paper's protocol a reproduction runs.
//!
//! `paper` is the full protocol of the study; `quick` shrinks everything except depth (the
//! variable under study) so that a 2-core CPU finishes in minutes and the qualitative result
//! still shows; `gpu` is the paper's recipe with fewer epochs, sized for one GPU-hour; `toy`
//! exists for the end-to-end test only.

use serde::Serialize;

/// Which protocol a reproduction follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum Profile {
    /// CPU-sized: depth 164 kept; width, training subset, epochs and analysis samples reduced.
    Quick,
    /// The full protocol of the paper (200 epochs, batch 128, lr 0.1 -> 0.0001); for a GPU.
    Paper,
    /// The paper's recipe (full width, full data) with GPU_EPOCHS epochs and the same
    /// schedule scaled to them: the nine MNIST/CIFAR runs in about one hour of one H200.
    Gpu,
    /// Depth 20, a few steps on a tiny subset: only for the end-to-end test of the pipeline.
    Toy,
}

impl Profile {
    /// The name used on the command line and in every output.
    pub fn name(self) -> &'static str {
        match self {
            Profile::Quick => "quick",
            Profile::Paper => "paper",
            Profile::Gpu => "gpu",
            Profile::Toy => "toy",
        }
    }

    /// Whether the profile trains full-width 164-layer networks on the full data: weeks on a
    /// CPU.
    pub fn is_for_gpu(self) -> bool {
        matches!(self, Profile::Paper | Profile::Gpu)
    }

    /// The training and analysis recipe this profile uses for `dataset`.
    pub fn recipe(self, dataset: DatasetKind) -> RunRecipe {
        match self {
            Profile::Paper => paper_recipe(dataset),
            Profile::Gpu => gpu_recipe(dataset),
            Profile::Quick => quick_recipe(dataset),
            Profile::Toy => toy_recipe(),
        }
    }

    /// Depth of the 101-layer ImageNet models under this profile.
    pub fn imagenet_depth(self) -> usize {
        match self {
            Profile::Toy => 50,
            _ => 101,
        }
    }

    /// What the profile changes relative to the paper, one line per change, for every output.
    pub fn reductions(self, dataset: DatasetKind) -> Vec<String> {
        let paper = paper_recipe(dataset);
        let this = self.recipe(dataset);
        this.differences_from(&paper)
    }
}

/// The kinds of data set the profiles distinguish (they need different recipes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DatasetKind {
    /// Grey 28x28 digits: no augmentation in the paper.
    Mnist,
    /// 32x32 colour images: pad-crop-flip augmentation.
    Cifar,
    /// ImageNet: 224 crops, the 101-layer models.
    ImageNet,
}

/// Everything a profile fixes about one run, besides the data set, model and seed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunRecipe {
    /// Depth of the CIFAR/MNIST models (164 except for `toy`).
    pub depth: usize,
    /// Multiplier of every layer's width (1.0 = the paper's widths).
    pub width_multiplier: f64,
    /// Training images kept per class (a fixed, seeded subset); `None` = the whole split.
    pub train_subset: Option<usize>,
    /// Test images evaluated per class; `None` = the whole test split.
    pub test_subset: Option<usize>,
    pub epochs: usize,
    pub batch_size: usize,
    /// Initial learning rate (after warm-up), multiplied by 0.1 at each of `lr_milestones`.
    pub lr: f64,
    /// Fractions of the run's steps at which the rate falls x0.1 (paper: 50%, 75%, 90%).
    pub lr_milestones: Vec<f64>,
    /// Steps at lr/10 before the initial rate (He et al.'s warm-up for very deep nets).
    pub warmup_steps: u64,
    pub momentum: f64,
    pub weight_decay: f64,
    /// Whether the data set's standard augmentation is applied (the paper: CIFAR and ImageNet).
    pub augment: bool,
    /// Samples whose hidden representations are analysed per layer.
    pub analysis_samples: usize,
}

impl RunRecipe {
    /// Human-readable list of what differs from `paper`.
    fn differences_from(&self, paper: &RunRecipe) -> Vec<String> {
        let mut out = Vec::new();
        if self.depth != paper.depth {
            out.push(format!("depth {} instead of {}", self.depth, paper.depth));
        }
        if self.width_multiplier != paper.width_multiplier {
            out.push(format!(
                "layer widths x{} of the paper's",
                self.width_multiplier
            ));
        }
        if self.train_subset != paper.train_subset {
            out.push(format!(
                "training on a seeded subset of {} images per class instead of the full split",
                self.train_subset.map_or("all".into(), |n| n.to_string())
            ));
        }
        if self.test_subset != paper.test_subset {
            out.push(format!(
                "per-epoch test curve on a subset of {} images per class (the final test \
                 accuracy on the full test split)",
                self.test_subset.map_or("all".into(), |n| n.to_string())
            ));
        }
        if self.epochs != paper.epochs {
            out.push(format!(
                "{} epochs instead of {}",
                self.epochs, paper.epochs
            ));
        }
        if self.batch_size != paper.batch_size {
            out.push(format!(
                "batch {} instead of {}",
                self.batch_size, paper.batch_size
            ));
        }
        if self.lr != paper.lr {
            out.push(format!(
                "initial learning rate {} instead of {}",
                self.lr, paper.lr
            ));
        }
        if self.lr_milestones != paper.lr_milestones {
            out.push(format!(
                "learning rate x0.1 at {:?} of the steps instead of {:?}",
                self.lr_milestones, paper.lr_milestones
            ));
        }
        if self.warmup_steps != paper.warmup_steps {
            out.push(format!(
                "{} warm-up steps instead of {}",
                self.warmup_steps, paper.warmup_steps
            ));
        }
        if self.augment != paper.augment {
            out.push("no augmentation".into());
        }
        if self.analysis_samples != paper.analysis_samples {
            out.push(format!(
                "condition numbers over {} samples instead of {}",
                self.analysis_samples, paper.analysis_samples
            ));
        }
        out
    }
}

fn paper_recipe(dataset: DatasetKind) -> RunRecipe {
    RunRecipe {
        depth: 164,
        width_multiplier: 1.0,
        train_subset: None,
        test_subset: None,
        epochs: match dataset {
            // The usual ImageNet recipe: x0.1 every 30 epochs, 90 epochs.
            DatasetKind::ImageNet => 90,
            _ => 200,
        },
        batch_size: match dataset {
            DatasetKind::ImageNet => 256,
            _ => 128,
        },
        lr: 0.1,
        lr_milestones: vec![0.5, 0.75, 0.9],
        warmup_steps: 400,
        momentum: 0.9,
        weight_decay: 1e-4,
        augment: dataset != DatasetKind::Mnist,
        analysis_samples: 500,
    }
}

/// Epochs of the `gpu` profile's MNIST and CIFAR runs. Not yet sized by a measurement: no GPU
/// has run deepskip yet. Derived from an assumed 2,000 training images/s per model in fp32 on
/// one H200 (batch 128, full width), for each of PlainNet-, ResNet- and ResNeXt-164, and 10%
/// of every epoch for the test pass and the checkpoint: one epoch of the nine runs (3 x 60,000
/// MNIST + 6 x 50,000 CIFAR images) is 3 x 1.1 x 160,000 / 2,000 = 264 s, and 3,600 s / 264 s
/// = 13.6. `scripts/gpu-check.sh` measures the three rates; its report gives
/// `floor(3600 / (1.1 x 160,000 x sum(1 / rate)))`, which replaces this number
/// (docs/gpu.md).
pub const GPU_EPOCHS: usize = 13;

/// The paper's recipe with [`GPU_EPOCHS`] epochs; the rate still falls x0.1 at 50/75/90% of
/// the steps, so the schedule scales with the epochs (and the 400 warm-up steps stay, under
/// one epoch). ImageNet keeps the paper's recipe.
fn gpu_recipe(dataset: DatasetKind) -> RunRecipe {
    let paper = paper_recipe(dataset);
    match dataset {
        DatasetKind::ImageNet => paper,
        _ => RunRecipe {
            epochs: GPU_EPOCHS,
            ..paper
        },
    }
}

/// Sized by measurement on the 2-core CPU (docs/reproduction.md has the numbers): nine runs
/// (CIFAR-100 skipped), analysis and report in about ten minutes. At width x0.25 a ResNet-164
/// step of 32 images takes about 0.25 s on one core, ResNeXt-164 about 0.5 s. A first sizing
/// (6 epochs, lr 0.05 from the first step, x0.1 at 50%) left ResNeXt-164 at 26% on MNIST: its
/// loss blew up in the first epoch and the early decay stopped the recovery. So: one epoch of
/// warm-up at a tenth of the rate (He et al.'s remedy for very deep nets), one decay late.
/// CIFAR-10 did not learn at 0.05 (12% after 10 epochs) but did, slowly and steadily, at 0.01
/// (23% after 8 epochs), so it gets 0.01 and more epochs.
fn quick_recipe(dataset: DatasetKind) -> RunRecipe {
    let reduced = RunRecipe {
        width_multiplier: 0.25,
        train_subset: Some(100),
        test_subset: Some(50),
        epochs: 10,
        batch_size: 32,
        lr: 0.05,
        lr_milestones: vec![0.75],
        // 100 images x 10 classes / 32 = 31 steps: the first epoch.
        warmup_steps: 31,
        augment: false,
        analysis_samples: 128,
        ..paper_recipe(dataset)
    };
    match dataset {
        DatasetKind::Mnist => reduced,
        _ => RunRecipe {
            epochs: 15,
            lr: 0.01,
            warmup_steps: 0,
            ..reduced
        },
    }
}

fn toy_recipe() -> RunRecipe {
    RunRecipe {
        depth: 20,
        width_multiplier: 0.25,
        train_subset: Some(8),
        test_subset: Some(4),
        epochs: 2,
        batch_size: 16,
        lr: 0.05,
        lr_milestones: vec![0.5, 0.75, 0.9],
        warmup_steps: 0,
        momentum: 0.9,
        weight_decay: 1e-4,
        augment: false,
        analysis_samples: 16,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paper_profile_reduces_nothing() {
        assert!(Profile::Paper.reductions(DatasetKind::Cifar).is_empty());
    }

    #[test]
    fn quick_profile_keeps_depth_and_says_what_it_reduced() {
        let recipe = Profile::Quick.recipe(DatasetKind::Mnist);
        assert_eq!(recipe.depth, 164);
        let reductions = Profile::Quick.reductions(DatasetKind::Mnist);
        assert!(reductions.iter().any(|r| r.contains("widths")));
        assert!(reductions.iter().any(|r| r.contains("epochs")));
        assert!(!reductions.iter().any(|r| r.contains("depth")));
    }

    #[test]
    fn gpu_profile_is_the_paper_with_fewer_epochs() {
        for dataset in [DatasetKind::Mnist, DatasetKind::Cifar] {
            let (gpu, paper) = (Profile::Gpu.recipe(dataset), Profile::Paper.recipe(dataset));
            assert_eq!(gpu.epochs, GPU_EPOCHS);
            assert_eq!(RunRecipe { epochs: 200, ..gpu }, paper);
            assert_eq!(
                Profile::Gpu.reductions(dataset),
                [format!("{GPU_EPOCHS} epochs instead of 200")]
            );
        }
        assert!(Profile::Gpu.is_for_gpu() && Profile::Paper.is_for_gpu());
        assert!(!Profile::Quick.is_for_gpu());
    }

    #[test]
    fn toy_profile_is_shallow() {
        assert_eq!(Profile::Toy.recipe(DatasetKind::Cifar).depth, 20);
        assert!(Profile::Toy
            .reductions(DatasetKind::Cifar)
            .iter()
            .any(|r| r.starts_with("depth 20")));
    }
}

//! The analysis samples of an ImageNet run: a fixed-seed sample of the validation split, each
//! image decoded once and resized and centre-cropped as for evaluation, kept as 8-bit pixels
//! with the ImageNet normalisation, so the network sees the values the evaluation loader
//! would give it.

use super::samples::sample_indices;
use anyhow::Context;
use deepskip_data::imagenet::{
    decode_rgb, probe_dimensions, ImagenetLayout, Split, TransformConfig,
};
use deepskip_data::{ImageSet, ImageShape, Normalization};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use std::path::Path;

/// The images a hidden-representation analysis feeds a network, and how they are normalised.
#[derive(Debug, Clone)]
pub struct AnalysisSamples {
    pub images: ImageSet,
    pub normalization: Normalization,
}

/// `n` images of `<root>/val` drawn with `seed` (all of them when there are fewer), centre
/// crops of side `size`, in the order of the folder listing.
pub fn imagenet_validation_sample(
    root: &Path,
    n: usize,
    size: u32,
    seed: u64,
) -> anyhow::Result<AnalysisSamples> {
    let layout = ImagenetLayout::open(root)
        .with_context(|| format!("opening the ImageNet folders of {}", root.display()))?;
    let files = layout.val.samples();
    anyhow::ensure!(
        !files.is_empty(),
        "{} holds no validation images; sort them into class folders first (`deepskip data \
         imagenet-prep`)",
        root.join("val").display()
    );
    let crop = TransformConfig::imagenet(size);
    // Mean 0 and std 1 leave v / 255, so the crop's bytes come back exactly.
    let unnormalised = TransformConfig {
        mean: [0.0; 3],
        std: [1.0; 3],
        ..crop.clone()
    };
    let chosen = sample_indices(files.len(), n, seed);
    let images: Vec<Vec<u8>> = chosen
        .par_iter()
        .map(|&i| centre_crop_bytes(&files[i].0, &unnormalised))
        .collect::<anyhow::Result<_>>()?;
    let labels = chosen
        .iter()
        .map(|&i| u16::try_from(files[i].1).context("more than 65,535 ImageNet classes"))
        .collect::<anyhow::Result<_>>()?;
    let side = size as usize;
    let shape = ImageShape {
        channels: 3,
        height: side,
        width: side,
    };
    let images = ImageSet::new(images.concat(), labels, shape, layout.val.classes().len())?;
    Ok(AnalysisSamples {
        images,
        normalization: Normalization {
            mean: crop.mean.to_vec(),
            std: crop.std.to_vec(),
        },
    })
}

/// One image's evaluation crop as CHW bytes.
fn centre_crop_bytes(path: &Path, transform: &TransformConfig) -> anyhow::Result<Vec<u8>> {
    let undecodable = || {
        format!(
            "{}: cannot be an analysis sample; replace or remove the file",
            path.display()
        )
    };
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let original = probe_dimensions(&bytes).with_context(undecodable)?;
    // The centre crop draws nothing from the generator.
    let mut no_draws = ChaCha8Rng::seed_from_u64(0);
    let window = transform.plan(Split::Eval, original.0, original.1, &mut no_draws);
    let image = decode_rgb(&bytes, transform.max_reduction(&window)).with_context(undecodable)?;
    let mut values = vec![0.0_f32; transform.output_len()];
    transform
        .apply(&image, original, &window, &mut values)
        .with_context(undecodable)?;
    Ok(values
        .iter()
        .map(|v| (v * 255.0).round().clamp(0.0, 255.0) as u8)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_jpeg(path: &Path, width: u32, height: u32, colour: [u8; 3]) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        image::RgbImage::from_pixel(width, height, image::Rgb(colour))
            .save(path)
            .unwrap();
    }

    #[test]
    fn a_seeded_validation_sample_is_decoded_to_centre_crops_with_their_labels() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        let colours = [[250, 10, 10], [10, 250, 10], [10, 10, 250]];
        for (class, colour) in colours.iter().enumerate() {
            write_jpeg(
                &root.join(format!("train/n0{class}/t.JPEG")),
                40,
                36,
                *colour,
            );
            for i in 0..4 {
                write_jpeg(
                    &root.join(format!("val/n0{class}/v{i}.JPEG")),
                    48 + i,
                    40,
                    *colour,
                );
            }
        }
        let a = imagenet_validation_sample(root, 5, 16, 7).unwrap();
        assert_eq!(a.images.len(), 5);
        assert_eq!(a.images.shape.size(), 3 * 16 * 16);
        assert_eq!(a.images.num_classes, 3);
        let again = imagenet_validation_sample(root, 5, 16, 7).unwrap();
        assert_eq!(
            a.images, again.images,
            "the same seed draws the same images"
        );
        assert_ne!(
            a.images,
            imagenet_validation_sample(root, 5, 16, 8).unwrap().images
        );
        // Each image's dominant channel is its class's colour (JPEG is lossy: compare loosely).
        for k in 0..a.images.len() {
            let image = a.images.image(k);
            let channel_mean = |c: usize| {
                image[c * 256..(c + 1) * 256]
                    .iter()
                    .map(|&v| f64::from(v))
                    .sum::<f64>()
                    / 256.0
            };
            let label = usize::from(a.images.labels[k]);
            assert!(channel_mean(label) > 200.0, "image {k} of class {label}");
        }
        assert_eq!(a.normalization.mean, [0.485, 0.456, 0.406]);
        let all = imagenet_validation_sample(root, 100, 16, 7).unwrap();
        assert_eq!(all.images.len(), 12);
    }
}

//! Training-time augmentation as in He et al. (2016) for CIFAR: pad each side with zeros,
//! crop a random window of the original size, flip horizontally with probability 1/2.
//! MNIST is not augmented.
//!
//! The padding is zero in normalised units, i.e. the channel mean: He et al. pad images from
//! which the mean has been subtracted.

use crate::image_set::ImageShape;
use rand::Rng;

/// How training images are perturbed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Augmentation {
    /// Images are used as they are.
    #[default]
    None,
    /// Zero padding of `pad` pixels, random crop back to the image size, random horizontal flip.
    PadCropFlip { pad: usize },
}

/// Where one augmented image comes from: crop origin in the padded image and whether to flip.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Placement {
    /// Row of the crop's top edge in the padded image, `0..=2 * pad`.
    pub top: usize,
    /// Column of the crop's left edge in the padded image, `0..=2 * pad`.
    pub left: usize,
    pub flip: bool,
    pub pad: usize,
}

impl Placement {
    /// The placement that leaves an image unchanged.
    pub const IDENTITY: Placement = Placement {
        top: 0,
        left: 0,
        flip: false,
        pad: 0,
    };
}

impl Augmentation {
    /// The standard augmentation (He et al.): 4-pixel padding.
    pub const STANDARD_CIFAR: Augmentation = Augmentation::PadCropFlip { pad: 4 };

    /// Draws the placement of one image.
    pub fn draw<R: Rng>(&self, rng: &mut R) -> Placement {
        match *self {
            Augmentation::None => Placement::IDENTITY,
            Augmentation::PadCropFlip { pad } => Placement {
                top: rng.random_range(0..=2 * pad),
                left: rng.random_range(0..=2 * pad),
                flip: rng.random_bool(0.5),
                pad,
            },
        }
    }
}

/// Writes the augmented, normalised image: `out[c][y][x]` is the padded source at
/// `(top + y, left + x')` with `x' = width - 1 - x` when flipped, looked up in `table`
/// (`Normalization::lookup_table`); positions in the padding are 0.
pub fn write_augmented(
    src: &[u8],
    shape: ImageShape,
    placement: Placement,
    table: &[f32],
    out: &mut [f32],
) {
    let (h, w, pad) = (shape.height, shape.width, placement.pad);
    for (c, (src_plane, out_plane)) in src
        .chunks_exact(shape.plane())
        .zip(out.chunks_exact_mut(shape.plane()))
        .enumerate()
    {
        let lut = &table[c * 256..(c + 1) * 256];
        for (y, out_row) in out_plane.chunks_exact_mut(w).enumerate() {
            // Source row in unpadded coordinates; outside 0..h is padding.
            let sy = (placement.top + y).wrapping_sub(pad);
            if sy >= h {
                out_row.fill(0.0);
                continue;
            }
            let src_row = &src_plane[sy * w..(sy + 1) * w];
            for (x, o) in out_row.iter_mut().enumerate() {
                let cx = if placement.flip { w - 1 - x } else { x };
                let sx = (placement.left + cx).wrapping_sub(pad);
                *o = if sx < w {
                    lut[usize::from(src_row[sx])]
                } else {
                    0.0
                };
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    const SHAPE: ImageShape = ImageShape {
        channels: 2,
        height: 5,
        width: 4,
    };

    /// Identity lookup (value v maps to v + 1, so padding 0 is distinguishable from pixel 0).
    fn table() -> Vec<f32> {
        (0..2)
            .flat_map(|_| (0..256).map(|v| v as f32 + 1.0))
            .collect()
    }

    fn source() -> Vec<u8> {
        (0..SHAPE.size() as u8).collect()
    }

    fn apply(p: Placement) -> Vec<f32> {
        let mut out = vec![f32::NAN; SHAPE.size()];
        write_augmented(&source(), SHAPE, p, &table(), &mut out);
        out
    }

    #[test]
    fn identity_placement_copies_the_image() {
        let expected: Vec<f32> = source().iter().map(|&v| f32::from(v) + 1.0).collect();
        assert_eq!(apply(Placement::IDENTITY), expected);
    }

    #[test]
    fn flip_mirrors_every_row_exactly() {
        let flipped = apply(Placement {
            flip: true,
            ..Placement::IDENTITY
        });
        let plain = apply(Placement::IDENTITY);
        for (f_row, p_row) in flipped.chunks(SHAPE.width).zip(plain.chunks(SHAPE.width)) {
            let mirrored: Vec<f32> = p_row.iter().rev().copied().collect();
            assert_eq!(f_row, mirrored.as_slice());
        }
    }

    #[test]
    fn crops_only_read_the_padded_image() {
        let aug = Augmentation::PadCropFlip { pad: 2 };
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let src = source();
        for _ in 0..200 {
            let p = aug.draw(&mut rng);
            assert!(p.top <= 4 && p.left <= 4);
            let out = apply(p);
            for c in 0..2 {
                for y in 0..SHAPE.height {
                    for x in 0..SHAPE.width {
                        let cx = if p.flip { SHAPE.width - 1 - x } else { x };
                        let (py, px) = (p.top + y, p.left + cx);
                        let inside = (2..2 + SHAPE.height).contains(&py)
                            && (2..2 + SHAPE.width).contains(&px);
                        let expected = if inside {
                            f32::from(src[c * SHAPE.plane() + (py - 2) * SHAPE.width + px - 2])
                                + 1.0
                        } else {
                            0.0
                        };
                        assert_eq!(out[c * SHAPE.plane() + y * SHAPE.width + x], expected);
                    }
                }
            }
        }
    }

    #[test]
    fn draws_cover_every_offset_and_both_flips() {
        let aug = Augmentation::PadCropFlip { pad: 1 };
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let draws: Vec<Placement> = (0..500).map(|_| aug.draw(&mut rng)).collect();
        for offset in 0..=2 {
            assert!(
                draws.iter().any(|p| p.top == offset) && draws.iter().any(|p| p.left == offset)
            );
        }
        assert!(draws.iter().any(|p| p.flip) && draws.iter().any(|p| !p.flip));
        assert_eq!(Augmentation::None.draw(&mut rng), Placement::IDENTITY);
    }
}

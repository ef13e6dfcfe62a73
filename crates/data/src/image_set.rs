//! A whole split of a data set in memory: `u8` pixels in CHW order, one label per image.

use crate::DataError;

/// Channels, height and width of every image of a set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ImageShape {
    pub channels: usize,
    pub height: usize,
    pub width: usize,
}

impl ImageShape {
    /// Bytes (pixels times channels) of one image.
    pub fn size(&self) -> usize {
        self.channels * self.height * self.width
    }

    /// Pixels of one channel.
    pub fn plane(&self) -> usize {
        self.height * self.width
    }
}

/// Images and labels of one split. Image `i` is `images[i * shape.size()..(i + 1) * shape.size()]`.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageSet {
    pub images: Vec<u8>,
    pub labels: Vec<u16>,
    pub shape: ImageShape,
    pub num_classes: usize,
}

impl ImageSet {
    /// Checks that the pixel count matches the labels and every label is below `num_classes`.
    pub fn new(
        images: Vec<u8>,
        labels: Vec<u16>,
        shape: ImageShape,
        num_classes: usize,
    ) -> Result<Self, DataError> {
        if shape.size() == 0 {
            return Err(DataError::InvalidArgument(format!(
                "empty image shape {shape:?}"
            )));
        }
        if images.len() != labels.len() * shape.size() {
            return Err(DataError::InvalidArgument(format!(
                "{} pixel bytes do not make {} images of {:?}",
                images.len(),
                labels.len(),
                shape
            )));
        }
        if let Some(bad) = labels.iter().find(|&&l| usize::from(l) >= num_classes) {
            return Err(DataError::InvalidArgument(format!(
                "label {bad} in a {num_classes}-class set"
            )));
        }
        Ok(ImageSet {
            images,
            labels,
            shape,
            num_classes,
        })
    }

    /// Number of images.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether the set holds no image.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Pixels of image `i` in CHW order; panics when `i >= len()`, like slice indexing.
    pub fn image(&self, i: usize) -> &[u8] {
        let size = self.shape.size();
        &self.images[i * size..(i + 1) * size]
    }

    /// How many images each class has.
    pub fn class_counts(&self) -> Vec<usize> {
        let mut counts = vec![0; self.num_classes];
        for &label in &self.labels {
            counts[usize::from(label)] += 1;
        }
        counts
    }

    /// The first `per_class` images of every class (fewer where a class has fewer), in their
    /// original order: a stratified subset for quick runs.
    pub fn stratified_subset(&self, per_class: usize) -> ImageSet {
        let mut taken = vec![0; self.num_classes];
        let mut images = Vec::new();
        let mut labels = Vec::new();
        for (i, &label) in self.labels.iter().enumerate() {
            let count = &mut taken[usize::from(label)];
            if *count < per_class {
                *count += 1;
                images.extend_from_slice(self.image(i));
                labels.push(label);
            }
        }
        ImageSet {
            images,
            labels,
            shape: self.shape,
            num_classes: self.num_classes,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny(labels: &[u16]) -> ImageSet {
        let shape = ImageShape {
            channels: 1,
            height: 1,
            width: 2,
        };
        let images = (0..labels.len() * 2).map(|i| i as u8).collect();
        ImageSet::new(images, labels.to_vec(), shape, 3).unwrap()
    }

    #[test]
    fn images_are_contiguous_chw_slices() {
        let set = tiny(&[0, 1, 2]);
        assert_eq!(set.len(), 3);
        assert_eq!(set.image(1), &[2, 3]);
    }

    #[test]
    fn stratified_subset_takes_the_first_k_of_each_class_in_order() {
        let set = tiny(&[0, 1, 0, 0, 2, 1, 1]);
        let sub = set.stratified_subset(2);
        assert_eq!(sub.labels, vec![0, 1, 0, 2, 1]);
        assert_eq!(sub.image(2), set.image(2));
        assert_eq!(sub.image(4), set.image(5));
        assert_eq!(sub.class_counts(), vec![2, 2, 1]);
    }

    #[test]
    fn labels_out_of_range_and_wrong_sizes_are_rejected() {
        let shape = ImageShape {
            channels: 1,
            height: 1,
            width: 2,
        };
        let err = ImageSet::new(vec![0; 4], vec![0, 3], shape, 3).unwrap_err();
        assert!(
            err.to_string().contains("label 3 in a 3-class set"),
            "{err}"
        );
        assert!(ImageSet::new(vec![0; 5], vec![0, 1], shape, 3).is_err());
    }
}

//! Medians and paired ratios: the two sides run alternately (A B A B ...), each pair is one
//! ratio, and the reported ratio is the median of the pairs, so slow drift of the machine
//! (other jobs, clocks) hits both members of a pair alike.

/// The median (mean of the middle two for an even count); `None` when empty or any is NaN.
pub fn median(values: &[f64]) -> Option<f64> {
    if values.is_empty() || values.iter().any(|v| v.is_nan()) {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mid = sorted.len() / 2;
    Some(if sorted.len() % 2 == 0 {
        (sorted[mid - 1] + sorted[mid]) / 2.0
    } else {
        sorted[mid]
    })
}

/// Which side runs at position `i` of the alternation: deepskip first in every pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Deepskip,
    Reference,
}

/// The run order for `pairs` pairs: A B A B ...
pub fn alternation(pairs: usize) -> Vec<(usize, Side)> {
    (0..pairs)
        .flat_map(|pair| [(pair, Side::Deepskip), (pair, Side::Reference)])
        .collect()
}

/// Per-pair throughputs of both sides and their ratios (deepskip / reference: above 1 means
/// deepskip is faster).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Paired {
    pub deepskip: Vec<f64>,
    pub reference: Vec<f64>,
}

impl Paired {
    pub fn push(&mut self, side: Side, throughput: f64) {
        match side {
            Side::Deepskip => self.deepskip.push(throughput),
            Side::Reference => self.reference.push(throughput),
        }
    }

    pub fn ratios(&self) -> Vec<f64> {
        self.deepskip
            .iter()
            .zip(&self.reference)
            .map(|(a, b)| a / b)
            .collect()
    }

    pub fn median_ratio(&self) -> Option<f64> {
        median(&self.ratios())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_even_and_empty() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[1.0, f64::NAN]), None);
    }

    #[test]
    fn alternation_is_a_b_a_b() {
        assert_eq!(
            alternation(2),
            [
                (0, Side::Deepskip),
                (0, Side::Reference),
                (1, Side::Deepskip),
                (1, Side::Reference)
            ]
        );
    }

    #[test]
    fn ratios_are_per_pair_and_their_median_is_reported() {
        let mut paired = Paired::default();
        for (side, value) in [
            (Side::Deepskip, 10.0),
            (Side::Reference, 5.0),
            (Side::Deepskip, 9.0),
            (Side::Reference, 9.0),
            (Side::Deepskip, 3.0),
            (Side::Reference, 2.0),
        ] {
            paired.push(side, value);
        }
        assert_eq!(paired.ratios(), [2.0, 1.0, 1.5]);
        assert_eq!(paired.median_ratio(), Some(1.5));
    }
}

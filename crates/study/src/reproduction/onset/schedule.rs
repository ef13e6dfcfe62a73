//! Which steps of a run the onset study analyses: step 0 (the initialised network), steps
//! spaced by a constant ratio (1, 2, 4, 8, ... for ratio 2), and chosen epoch ends.

use serde::Serialize;

/// Which epoch ends join the log-spaced steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum EpochEnds {
    /// The first and the last epoch's.
    FirstAndLast,
    /// Every `n`-th epoch's, and the last.
    Every(usize),
}

/// How a run's training is sampled.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct StepSchedule {
    /// Consecutive log-spaced steps differ by this factor (rounded to whole steps).
    pub ratio: f64,
    pub epoch_ends: EpochEnds,
}

/// A log-spaced step this close (relative) to an epoch end is replaced by the epoch end.
const MERGE_WITHIN: f64 = 0.1;

impl StepSchedule {
    /// The steps to analyse in a run of `epochs` epochs of `steps_per_epoch` steps, ascending,
    /// without repeats; always 0 and the last step.
    pub fn steps(&self, steps_per_epoch: u64, epochs: usize) -> Vec<u64> {
        let total = steps_per_epoch * epochs as u64;
        let ends = self.epoch_end_steps(steps_per_epoch, epochs);
        let mut steps: Vec<u64> = vec![0];
        steps.extend(&ends);
        let mut x = 1.0f64;
        while x.round() as u64 <= total && self.ratio > 1.0 {
            let step = x.round() as u64;
            let near_end = ends
                .iter()
                .any(|&e| e != step && (e as f64 - step as f64).abs() <= MERGE_WITHIN * e as f64);
            if !near_end {
                steps.push(step);
            }
            x *= self.ratio;
        }
        steps.sort_unstable();
        steps.dedup();
        steps
    }

    fn epoch_end_steps(&self, steps_per_epoch: u64, epochs: usize) -> Vec<u64> {
        let chosen: Vec<usize> = match self.epoch_ends {
            EpochEnds::FirstAndLast => vec![1, epochs],
            EpochEnds::Every(n) => (1..=epochs)
                .filter(|e| e % n.max(1) == 0 || *e == epochs)
                .collect(),
        };
        chosen
            .into_iter()
            .filter(|&e| e >= 1)
            .map(|e| e as u64 * steps_per_epoch)
            .collect()
    }
}

/// `Some(e)` when `step` ends epoch `e`.
pub fn epoch_ending_at(step: u64, steps_per_epoch: u64) -> Option<usize> {
    (step > 0 && steps_per_epoch > 0 && step % steps_per_epoch == 0)
        .then(|| (step / steps_per_epoch) as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn powers_of_two_with_every_epoch_end() {
        let s = StepSchedule {
            ratio: 2.0,
            epoch_ends: EpochEnds::Every(1),
        };
        assert_eq!(s.steps(10, 3), vec![0, 1, 2, 4, 8, 10, 16, 20, 30]);
    }

    #[test]
    fn half_decades_merge_into_a_nearby_epoch_end() {
        let s = StepSchedule {
            ratio: 10f64.sqrt(),
            epoch_ends: EpochEnds::FirstAndLast,
        };
        // 1, 3, 10, 32 (merged into 31, epoch 1), 100, 316 (past the end).
        assert_eq!(s.steps(31, 10), vec![0, 1, 3, 10, 31, 100, 310]);
        assert_eq!(epoch_ending_at(31, 31), Some(1));
        assert_eq!(epoch_ending_at(310, 31), Some(10));
        assert_eq!(epoch_ending_at(100, 31), None);
        assert_eq!(epoch_ending_at(0, 31), None);
    }

    #[test]
    fn a_short_run_keeps_its_first_and_last_step() {
        let s = StepSchedule {
            ratio: 2.0,
            epoch_ends: EpochEnds::FirstAndLast,
        };
        assert_eq!(s.steps(1, 1), vec![0, 1]);
    }
}

//! Progress display: an indicatif bar per epoch on a terminal, one log line per epoch otherwise.

use deepskip_runs::schema::EpochMetrics;
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use std::io::IsTerminal;

/// Several runs training at once in one process: their bars share the terminal, one line per
/// run, each prefixed with its run's label, and the epoch lines print above them.
#[derive(Debug, Clone)]
pub struct ProgressGroup {
    pub bars: MultiProgress,
    /// What names the run on its bar and epoch lines, e.g. `[2/6] mnist resnet-164 seed 0`.
    pub label: String,
}

impl ProgressGroup {
    /// The group of the run `label`, drawing with the other runs of `bars`.
    pub fn new(bars: &MultiProgress, label: impl Into<String>) -> Self {
        Self {
            bars: bars.clone(),
            label: label.into(),
        }
    }
}

/// Steps between two refreshes of the bar's running numbers.
const REFRESH_EVERY: u64 = 10;

/// The display of one epoch; silent when progress is off.
#[derive(Debug)]
pub(crate) struct EpochProgress {
    bar: Option<ProgressBar>,
    enabled: bool,
    epochs: usize,
    group: Option<ProgressGroup>,
}

impl EpochProgress {
    /// Starts the display of epoch `epoch` (1-based) of `epochs`, `steps` steps long, with
    /// `done` already completed (resumed mid-epoch).
    pub(crate) fn start(
        enabled: bool,
        epoch: usize,
        epochs: usize,
        steps: usize,
        done: usize,
        group: Option<&ProgressGroup>,
    ) -> Self {
        let bar = (enabled && std::io::stderr().is_terminal()).then(|| {
            let bar = match group {
                Some(g) => g.bars.add(ProgressBar::new(steps as u64)),
                None => ProgressBar::new(steps as u64),
            };
            let style = ProgressStyle::with_template(
                "epoch {prefix} [{bar:30}] {pos}/{len} steps {msg} ETA {eta}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
            bar.set_style(style);
            bar.set_prefix(match group {
                Some(g) => format!("{} {epoch}/{epochs}", g.label),
                None => format!("{epoch}/{epochs}"),
            });
            bar.set_position(done as u64);
            bar
        });
        Self {
            bar,
            enabled,
            epochs,
            group: group.cloned(),
        }
    }

    /// Whether the display wants the running numbers after `steps_done` steps of the epoch:
    /// every [`REFRESH_EVERY`] steps when a bar is shown, never otherwise (reading them waits
    /// for the device).
    pub(crate) fn wants_numbers(&self, steps_done: u64) -> bool {
        self.bar.is_some() && steps_done % REFRESH_EVERY == 0
    }

    /// Shows the running loss, accuracy and throughput.
    pub(crate) fn show(&self, loss: f64, acc: f64, images_per_sec: f64) {
        if let Some(bar) = &self.bar {
            bar.set_message(format!(
                "loss {loss:.4} acc {:.2}% {images_per_sec:.0} img/s",
                acc * 100.0
            ));
        }
    }

    /// Advances the bar by one step.
    pub(crate) fn step(&self) {
        if let Some(bar) = &self.bar {
            bar.inc(1);
        }
    }

    /// Clears the bar and prints the epoch's summary line.
    pub(crate) fn finish(self, m: &EpochMetrics) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
        if !self.enabled {
            return;
        }
        let line = summary_line(m, self.epochs);
        match &self.group {
            // Still starting with `epoch `, as a single run's line does; printed through the
            // group on a terminal so that the other runs' bars stay intact (a hidden group, off a
            // terminal, prints nothing itself).
            Some(g) => {
                let line = format!("{line} ({})", g.label);
                if g.bars.is_hidden() || g.bars.println(&line).is_err() {
                    eprintln!("{line}");
                }
            }
            None => eprintln!("{line}"),
        }
    }

    /// Clears the bar without a summary (the epoch did not complete).
    pub(crate) fn abandon(self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// `epoch 3/10 step 1173: train loss 0.4123 acc 86.01% | test loss ... | lr 0.1 | 12.3 s, 950 img/s`.
pub(crate) fn summary_line(m: &EpochMetrics, epochs: usize) -> String {
    format!(
        "epoch {}/{} step {}: train loss {:.4} acc {:.2}% | test loss {:.4} acc {:.2}% | lr {:.3e} | {:.1} s, {:.0} img/s",
        m.epoch,
        epochs,
        m.step,
        m.train_loss,
        m.train_acc * 100.0,
        m.test_loss,
        m.test_acc * 100.0,
        m.lr,
        m.seconds,
        m.images_per_sec
    ) + &skipped_note(m.skipped_steps)
}

/// ` | 3 steps skipped (non-finite gradients)`, or nothing when every step was applied.
fn skipped_note(skipped: u64) -> String {
    match skipped {
        0 => String::new(),
        1 => " | 1 step skipped (non-finite gradients)".into(),
        n => format!(" | {n} steps skipped (non-finite gradients)"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_line_shows_percentages_and_throughput() {
        let m = EpochMetrics {
            epoch: 3,
            step: 30,
            train_loss: 0.5,
            train_acc: 0.875,
            test_loss: 0.6,
            test_acc: 0.8,
            lr: 0.01,
            seconds: 2.0,
            images_per_sec: 640.0,
            train_top5: None,
            test_top5: None,
            skipped_steps: 0,
            bn_overflow: None,
        };
        let line = summary_line(&m, 10);
        assert!(line.starts_with("epoch 3/10 step 30"), "{line}");
        assert!(
            line.contains("acc 87.50%") && line.contains("640 img/s"),
            "{line}"
        );
        assert!(!line.contains("skipped"), "{line}");
        let skipped = summary_line(
            &EpochMetrics {
                skipped_steps: 4,
                bn_overflow: None,
                ..m
            },
            10,
        );
        assert!(
            skipped.ends_with("| 4 steps skipped (non-finite gradients)"),
            "{skipped}"
        );
    }
}

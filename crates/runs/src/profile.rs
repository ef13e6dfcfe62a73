//! What the reproduction's profile was, so that every output says how it differs from the
//! paper's protocol.

use serde::{Deserialize, Serialize};

/// The profile a results directory was produced with, as the orchestrator describes it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ProfileDescription {
    /// `quick`, `paper`, or a test profile's name.
    pub name: String,
    /// What was reduced from the paper's protocol, one item each, e.g.
    /// "width multiplier 0.25", "5,000 training images", "300 steps". Empty means the full
    /// protocol of the paper.
    pub reductions: Vec<String>,
}

impl ProfileDescription {
    pub fn new(name: impl Into<String>, reductions: Vec<String>) -> Self {
        Self {
            name: name.into(),
            reductions,
        }
    }

    /// One line for tables and headers: "profile quick: reduced width x0.25; 300 steps".
    pub fn one_line(&self) -> String {
        if self.reductions.is_empty() {
            format!("profile `{}`: the paper's full protocol", self.name)
        } else {
            format!(
                "profile `{}`, reduced from the paper's protocol: {}",
                self.name,
                self.reductions.join("; ")
            )
        }
    }
}

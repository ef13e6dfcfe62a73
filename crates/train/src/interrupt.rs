//! Cooperative interruption: the caller (the CLI's Ctrl-C handler) sets a shared flag; the loop
//! checks it after each optimiser step, finishes that step, checkpoints and returns
//! `RunState::Interrupted`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// A view of the optional shared interrupt flag.
#[derive(Debug, Clone, Default)]
pub(crate) struct Interrupt(Option<Arc<AtomicBool>>);

impl Interrupt {
    pub(crate) fn new(flag: Option<Arc<AtomicBool>>) -> Self {
        Self(flag)
    }

    /// Whether a stop has been requested.
    pub(crate) fn requested(&self) -> bool {
        self.0.as_ref().is_some_and(|f| f.load(Ordering::SeqCst))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reflects_the_shared_flag() {
        let flag = Arc::new(AtomicBool::new(false));
        let interrupt = Interrupt::new(Some(flag.clone()));
        assert!(!interrupt.requested());
        flag.store(true, Ordering::SeqCst);
        assert!(interrupt.requested());
        assert!(!Interrupt::new(None).requested());
    }
}

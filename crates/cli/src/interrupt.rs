//! Ctrl-C: the first press asks the running training step to finish, checkpoint and stop (the
//! command then exits with 130); a second press exits at once.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

/// The process-wide flag Ctrl-C sets, its handler installed on first use. Where a handler
/// cannot be installed (one exists already), the flag stays unset and Ctrl-C keeps its default.
pub fn interrupt_flag() -> Arc<AtomicBool> {
    static FLAG: OnceLock<Arc<AtomicBool>> = OnceLock::new();
    FLAG.get_or_init(|| {
        let flag = Arc::new(AtomicBool::new(false));
        let seen = Arc::clone(&flag);
        let installed = ctrlc::set_handler(move || {
            if seen.swap(true, Ordering::SeqCst) {
                eprintln!("\nsecond Ctrl-C: exiting now; the last checkpoint is kept");
                std::process::exit(130);
            }
            eprintln!("\nCtrl-C: finishing the current step and writing a checkpoint (Ctrl-C again to exit now)");
        });
        if let Err(e) = installed {
            eprintln!(
                "warning: Ctrl-C handler not installed ({e}); Ctrl-C stops without a checkpoint"
            );
        }
        flag
    })
    .clone()
}

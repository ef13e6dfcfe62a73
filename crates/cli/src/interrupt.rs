//! Ctrl-C and SIGTERM (the signal Slurm sends before it requeues, preempts or kills a job): the
//! first one asks the running training step to finish, checkpoint and stop (the command then
//! exits with 130); a second one exits at once.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

/// The process-wide flag Ctrl-C and SIGTERM set, its handler installed on first use. Where a
/// handler cannot be installed (one exists already), the flag stays unset and the signals keep
/// their default.
pub fn interrupt_flag() -> Arc<AtomicBool> {
    static FLAG: OnceLock<Arc<AtomicBool>> = OnceLock::new();
    FLAG.get_or_init(|| {
        let flag = Arc::new(AtomicBool::new(false));
        let seen = Arc::clone(&flag);
        let installed = ctrlc::set_handler(move || {
            if seen.swap(true, Ordering::SeqCst) {
                eprintln!("\nsecond interrupt: exiting now; the last checkpoint is kept");
                std::process::exit(130);
            }
            eprintln!(
                "\ninterrupted (Ctrl-C or SIGTERM): finishing the current step and writing a \
                 checkpoint (interrupt again to exit now)"
            );
        });
        if let Err(e) = installed {
            eprintln!(
                "warning: interrupt handler not installed ({e}); Ctrl-C and SIGTERM stop \
                 without a checkpoint"
            );
        }
        flag
    })
    .clone()
}

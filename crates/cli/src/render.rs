//! The terminal rendering of a study's events: one line per step, as the reproduction has
//! always printed them (stdout for progress, stderr for warnings and errors).

use deepskip_runs::schema::RunState;
use deepskip_study::{Accuracy, RunStep, StudyEvent, StudyObserver};

/// Prints each event as it arrives.
#[derive(Debug, Default)]
pub struct TerminalLines;

impl StudyObserver for TerminalLines {
    fn on_event(&self, event: StudyEvent) {
        match event {
            StudyEvent::Planned {
                profile,
                runs,
                devices,
                out,
            } => {
                println!("deepskip reproduce: {profile}");
                println!("{runs} runs on {} -> {}", devices.join(", "), out.display());
            }
            StudyEvent::Warning(text) => eprintln!("warning: {text}"),
            StudyEvent::DataLoading { dataset } => println!("data: loading {dataset}"),
            StudyEvent::DataUnavailable { reason } => println!("data: {reason}"),
            StudyEvent::DataLoaded {
                dataset,
                train,
                test,
                classes,
            } => println!(
                "data: {dataset}: {train} training and {test} test images, {classes} classes"
            ),
            StudyEvent::Run { tag, step } => print_step(&tag, step),
            StudyEvent::Onset { line } => println!("{line}"),
            StudyEvent::Summary { text } => println!("{text}"),
        }
    }
}

fn print_step(tag: &str, step: RunStep) {
    match step {
        RunStep::Skipped { reason } => println!("{tag}: skipped ({reason})"),
        RunStep::AlreadyDone { state, accuracy } => println!(
            "{tag}: already done ({}){}",
            state_word(state),
            accuracy_note(accuracy)
        ),
        RunStep::MovedAside { to, reason } => {
            println!("{tag}: old run moved to {} ({reason})", to.display())
        }
        RunStep::Training { resume, device } => {
            let verb = if resume { "resuming" } else { "training" };
            println!("{tag}: {verb} on {device}");
        }
        RunStep::TrainingNote { run_dir, reason } => {
            println!("    {}: {reason}", run_dir.display())
        }
        RunStep::BnOverflow(o) => {
            println!("    {}", crate::commands::train::bn_overflow_warning(&o))
        }
        RunStep::Interrupted { seconds } => {
            println!("{tag}: interrupted after {seconds:.0} s; rerun to resume")
        }
        RunStep::NotAnalysable => {
            println!("{tag}: not analysed (Table IV reports ImageNet accuracy only)")
        }
        RunStep::FullTestEvaluated {
            test_images,
            accuracy,
            majority_class,
            share,
        } => println!(
            "{tag}: full test split ({test_images} images): {:.2}%, class {majority_class} predicted for {:.1}%",
            100.0 * accuracy,
            100.0 * share
        ),
        RunStep::DivergedNotEvaluated { error } => {
            println!("{tag}: diverged run not evaluated on the full test split: {error}")
        }
        RunStep::Analysing => println!("{tag}: analysing"),
        RunStep::Analysed {
            hidden,
            singular,
            weights,
            warnings,
        } => {
            for warning in warnings {
                println!("    warning: {warning}");
            }
            println!(
                "    analysed {hidden} hidden representations ({singular} singular) and {weights} weights"
            )
        }
        RunStep::Recorded { outcome } => println!("{tag}: {outcome}"),
        RunStep::DivergedNotAnalysed { error } => {
            println!("{tag}: diverged run not analysed: {error}")
        }
        RunStep::Ended {
            state,
            seconds,
            accuracy,
        } => println!(
            "{tag}: {} in {seconds:.0} s{}",
            state_word(state),
            accuracy_note(accuracy)
        ),
        RunStep::Failed { seconds, error } => {
            println!("{tag}: FAILED after {seconds:.0} s: {error}")
        }
    }
}

fn state_word(state: RunState) -> &'static str {
    match state {
        RunState::Finished => "finished",
        RunState::Diverged => "diverged",
        RunState::Interrupted => "interrupted",
        RunState::Running => "running",
        RunState::Skipped => "skipped",
    }
}

/// `, train 95.2%, test 94.8%`, or nothing.
fn accuracy_note(accuracy: Option<Accuracy>) -> String {
    accuracy
        .map(|a| {
            format!(
                ", train {:.1}%, test {:.1}%",
                100.0 * a.train,
                100.0 * a.test
            )
        })
        .unwrap_or_default()
}

//! Which of the planned runs one invocation of the reproduction executes: all of them here, or
//! the share of one Slurm job (one array task's run, or the report job).

/// The part of the plan an invocation executes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RunScope {
    /// Every run, then `summary.json` and the report: a reproduction on this machine.
    #[default]
    All,
    /// Only the run at this index of the plan, its outcome recorded for the report job (one
    /// task of a Slurm job array).
    One(usize),
    /// Nothing trained: `summary.json` and the report from the run directories and the outcomes
    /// the tasks recorded (the Slurm job that runs once every task has ended).
    ReportOnly,
}

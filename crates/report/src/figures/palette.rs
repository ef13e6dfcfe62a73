//! One colour per model family, the same in every figure, and number formatting for axes.

use plotters::style::RGBColor;

use crate::paper_reference::model_label;

const PLAIN: RGBColor = RGBColor(214, 39, 40);
const RESNET: RGBColor = RGBColor(31, 119, 180);
const RESNEXT: RGBColor = RGBColor(44, 160, 44);
const OTHERS: [RGBColor; 4] = [
    RGBColor(255, 127, 14),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(23, 190, 207),
];

/// The colour of a model: PlainNet red, ResNet blue, ResNeXt green (the families compared).
pub(crate) fn model_color(model: &str, index: usize) -> RGBColor {
    let lower = model.to_ascii_lowercase();
    if lower.starts_with("plainnet") {
        PLAIN
    } else if lower.starts_with("resnext") {
        RESNEXT
    } else if lower.starts_with("resnet") {
        RESNET
    } else {
        OTHERS[index % OTHERS.len()]
    }
}

/// A legend label for a run: "ResNet-164", or "ResNet-164 (seed 2)" when seeds are mixed.
pub(crate) fn run_label(model: &str, seed: Option<u64>) -> String {
    match seed {
        Some(seed) => format!("{} (seed {seed})", model_label(model)),
        None => model_label(model),
    }
}

/// Short axis numbers: 0.25, 12, 3.4e6, 1e-3.
pub(crate) fn short_number(v: f64) -> String {
    let a = v.abs();
    if v == 0.0 {
        "0".to_string()
    } else if !(1e-2..1e5).contains(&a) {
        let s = format!("{v:.1e}");
        s.replace(".0e", "e")
    } else if a >= 100.0 {
        format!("{v:.0}")
    } else {
        let s = format!("{v:.2}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// Tick labels of a log axis: powers of ten from 1000 up as `1e3`, so the labels of one
/// axis all read alike.
pub(crate) fn log_axis_number(v: f64) -> String {
    if v.abs() >= 1e3 {
        format!("{v:.0e}")
    } else {
        short_number(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_short() {
        assert_eq!(short_number(0.0), "0");
        assert_eq!(short_number(0.25), "0.25");
        assert_eq!(short_number(12.0), "12");
        assert_eq!(short_number(1_700_000.0), "1.7e6");
        assert_eq!(short_number(1e-3), "1e-3");
        assert_eq!(short_number(-250.0), "-250");
        assert_eq!(log_axis_number(10000.0), "1e4");
        assert_eq!(log_axis_number(100.0), "100");
    }

    #[test]
    fn families_have_fixed_colours() {
        assert_eq!(model_color("plainnet-164", 5), PLAIN);
        assert_eq!(model_color("ResNeXt-164", 0), RESNEXT);
        assert_eq!(model_color("resnet-20", 0), RESNET);
        assert_ne!(model_color("vgg", 0), model_color("vgg", 1));
    }
}

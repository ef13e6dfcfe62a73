//! The paper's reported numbers (Tables I-IV of Oyedotun et al., 2023), as fractions, so that
//! every output can put our measurement next to theirs.

/// One of the paper's four result tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PaperTable {
    /// 1 to 4.
    pub number: u8,
    /// "I" to "IV", as the paper numbers them.
    pub roman: &'static str,
    /// The data set name the command line uses (`mnist`, `cifar10`, ...).
    pub dataset: &'static str,
    /// The data set as a reader knows it.
    pub dataset_label: &'static str,
    /// Number of classes: chance accuracy is its inverse.
    pub classes: usize,
    /// The models of the table, in the paper's row order.
    pub models: [&'static str; 3],
}

impl PaperTable {
    /// Accuracy of guessing uniformly at random.
    pub fn chance(&self) -> f64 {
        1.0 / self.classes as f64
    }
}

/// One cell (row) of the paper's tables.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PaperCell {
    pub dataset: &'static str,
    pub model: &'static str,
    /// Fraction 0..1.
    pub train_acc: f64,
    /// Fraction 0..1 (top-1 for ImageNet).
    pub test_acc: f64,
    /// Parameter count as the paper prints it, in millions.
    pub params_millions: f64,
}

const CIFAR_MODELS: [&str; 3] = ["plainnet-164", "resnet-164", "resnext-164"];

/// Tables I to IV, in order.
pub const PAPER_TABLES: [PaperTable; 4] = [
    PaperTable {
        number: 1,
        roman: "I",
        dataset: "mnist",
        dataset_label: "MNIST",
        classes: 10,
        models: CIFAR_MODELS,
    },
    PaperTable {
        number: 2,
        roman: "II",
        dataset: "cifar10",
        dataset_label: "CIFAR-10",
        classes: 10,
        models: CIFAR_MODELS,
    },
    PaperTable {
        number: 3,
        roman: "III",
        dataset: "cifar100",
        dataset_label: "CIFAR-100",
        classes: 100,
        models: CIFAR_MODELS,
    },
    PaperTable {
        number: 4,
        roman: "IV",
        dataset: "imagenet",
        dataset_label: "ImageNet-2012 (top-1)",
        classes: 1000,
        models: ["plainnet-101", "resnet-101", "resnext-101"],
    },
];

const fn cell(
    dataset: &'static str,
    model: &'static str,
    train_pct: f64,
    test_pct: f64,
    params_millions: f64,
) -> PaperCell {
    PaperCell {
        dataset,
        model,
        train_acc: train_pct / 100.0,
        test_acc: test_pct / 100.0,
        params_millions,
    }
}

/// Every cell of Tables I-IV, transcribed from the paper (percentages there).
pub const PAPER_CELLS: [PaperCell; 12] = [
    cell("mnist", "plainnet-164", 11.38, 11.35, 2.5),
    cell("mnist", "resnet-164", 99.58, 99.60, 2.6),
    cell("mnist", "resnext-164", 100.0, 99.72, 2.5),
    cell("cifar10", "plainnet-164", 10.26, 10.16, 2.5),
    cell("cifar10", "resnet-164", 99.93, 93.53, 2.6),
    cell("cifar10", "resnext-164", 99.96, 93.89, 2.5),
    cell("cifar100", "plainnet-164", 1.00, 1.12, 2.5),
    cell("cifar100", "resnet-164", 99.83, 75.72, 2.6),
    cell("cifar100", "resnext-164", 99.94, 76.64, 2.5),
    cell("imagenet", "plainnet-101", 15.37, 14.94, 44.1),
    cell("imagenet", "resnet-101", 88.56, 77.32, 44.5),
    cell("imagenet", "resnext-101", 89.74, 78.48, 44.3),
];

/// Data set names are compared after this normalisation so that `CIFAR-10`, `cifar10` and
/// `ImageNet-2012` all find their table.
fn normalize_dataset(name: &str) -> String {
    let lower = name.to_ascii_lowercase().replace(['-', '_'], "");
    match lower.as_str() {
        "imagenet2012" | "ilsvrc2012" => "imagenet".to_string(),
        _ => lower,
    }
}

/// Whether two data set names are the same data set (`CIFAR-10` is `cifar10`, `ImageNet-2012`
/// is `imagenet`).
pub fn same_dataset(a: &str, b: &str) -> bool {
    normalize_dataset(a) == normalize_dataset(b)
}

/// The paper's table for a data set, if the paper has one.
pub fn paper_table(dataset: &str) -> Option<&'static PaperTable> {
    let key = normalize_dataset(dataset);
    PAPER_TABLES.iter().find(|t| t.dataset == key)
}

/// The paper's numbers for `(dataset, model)`, e.g. `("cifar10", "resnet-164")`.
pub fn paper_cell(dataset: &str, model: &str) -> Option<&'static PaperCell> {
    let key = normalize_dataset(dataset);
    let model = model.to_ascii_lowercase();
    PAPER_CELLS
        .iter()
        .find(|c| c.dataset == key && c.model == model)
}

/// Accuracy of guessing at random on a data set, when its number of classes is known.
pub fn chance_accuracy(dataset: &str) -> Option<f64> {
    match normalize_dataset(dataset).as_str() {
        "cifar100coarse" => Some(1.0 / 20.0),
        _ => paper_table(dataset).map(PaperTable::chance),
    }
}

/// How the paper names a model: `resnext-164` -> `ResNeXt-164`.
pub fn model_label(model: &str) -> String {
    let lower = model.to_ascii_lowercase();
    for (prefix, label) in [
        ("plainnet", "PlainNet"),
        ("resnext", "ResNeXt"),
        ("resnet", "ResNet"),
    ] {
        if let Some(rest) = lower.strip_prefix(prefix) {
            return format!("{label}{rest}");
        }
    }
    model.to_string()
}

/// How a reader knows a data set: `cifar10` -> `CIFAR-10`.
pub fn dataset_label(dataset: &str) -> String {
    match normalize_dataset(dataset).as_str() {
        "imagenet" => "ImageNet-2012".to_string(),
        "cifar100coarse" => "CIFAR-100 (coarse)".to_string(),
        _ => paper_table(dataset)
            .map(|t| t.dataset_label.to_string())
            .unwrap_or_else(|| dataset.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The results table of ../shared/paper.md, row for row as the paper's transcription
    /// prints it.
    const PAPER_ROWS: &str = "\
| I | MNIST | PlainNet-164 | 11.38% | 11.35% | 2.5M |
| I | MNIST | ResNet-164 | 99.58% | 99.60% | 2.6M |
| I | MNIST | ResNeXt-164 | 100% | 99.72% | 2.5M |
| II | CIFAR-10 | PlainNet-164 | 10.26% | 10.16% | 2.5M |
| II | CIFAR-10 | ResNet-164 | 99.93% | 93.53% | 2.6M |
| II | CIFAR-10 | ResNeXt-164 | 99.96% | 93.89% | 2.5M |
| III | CIFAR-100 | PlainNet-164 | 1.00% | 1.12% | 2.5M |
| III | CIFAR-100 | ResNet-164 | 99.83% | 75.72% | 2.6M |
| III | CIFAR-100 | ResNeXt-164 | 99.94% | 76.64% | 2.5M |
| IV | ImageNet-2012 (top-1) | PlainNet-101 | 15.37% | 14.94% | 44.1M |
| IV | ImageNet-2012 (top-1) | ResNet-101 | 88.56% | 77.32% | 44.5M |
| IV | ImageNet-2012 (top-1) | ResNeXt-101 | 89.74% | 78.48% | 44.3M |
";

    /// `11.38%` -> 0.1138, `2.5M` -> 2.5.
    fn number(text: &str, unit: char, scale: f64) -> f64 {
        let digits = text.strip_suffix(unit).unwrap_or_else(|| panic!("{text}"));
        digits
            .parse::<f64>()
            .unwrap_or_else(|e| panic!("{text}: {e}"))
            / scale
    }

    #[test]
    fn every_cell_is_the_papers() {
        let mut matched = 0;
        for row in PAPER_ROWS.lines() {
            let fields: Vec<&str> = row.trim_matches('|').split('|').map(str::trim).collect();
            let [roman, dataset, model, train, test, params] = fields[..] else {
                panic!("six columns: {row}");
            };
            let table = PAPER_TABLES
                .iter()
                .find(|t| t.roman == roman)
                .unwrap_or_else(|| panic!("table {roman}"));
            assert_eq!(table.dataset_label, dataset, "{row}");
            let cell = PAPER_CELLS
                .iter()
                .find(|c| c.dataset == table.dataset && model_label(c.model) == model)
                .unwrap_or_else(|| panic!("no cell for {row}"));
            assert!(table.models.contains(&cell.model), "{row}");
            let close = |a: f64, b: f64| (a - b).abs() < 1e-12;
            assert!(close(cell.train_acc, number(train, '%', 100.0)), "{row}");
            assert!(close(cell.test_acc, number(test, '%', 100.0)), "{row}");
            assert!(
                close(cell.params_millions, number(params, 'M', 1.0)),
                "{row}"
            );
            matched += 1;
        }
        assert_eq!(matched, PAPER_CELLS.len(), "one row per cell");
    }

    /// The rows above are the paper's, where the shared copy of the paper is present.
    #[test]
    fn the_pinned_rows_are_the_papers() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/paper.md");
        let Ok(paper) = std::fs::read_to_string(path) else {
            eprintln!("skipped: {path} not found (the pinned rows are not re-checked)");
            return;
        };
        let rows: Vec<&str> = paper.lines().map(str::trim).collect();
        for row in PAPER_ROWS.lines() {
            assert!(rows.contains(&row), "not in {path}: {row}");
        }
    }

    #[test]
    fn lookups_normalise_names() {
        let cell = paper_cell("CIFAR-10", "ResNet-164").unwrap();
        assert!((cell.test_acc - 0.9353).abs() < 1e-12);
        assert!(
            (paper_cell("imagenet-2012", "resnext-101")
                .unwrap()
                .train_acc
                - 0.8974)
                .abs()
                < 1e-12
        );
        assert!(paper_cell("mnist", "resnet-20").is_none());
        assert_eq!(chance_accuracy("cifar100"), Some(0.01));
        assert_eq!(model_label("resnext-164"), "ResNeXt-164");
        assert_eq!(dataset_label("cifar10"), "CIFAR-10");
    }
}

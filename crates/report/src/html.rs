//! `report.html`: one self-contained page (figures inline as SVG) with the profile, what the
//! numbers show, the tables next to the paper's, the protocol and the figures.

use crate::figures::{Figure, FigureKind};
use crate::paper_reference::{dataset_label, model_label, same_dataset};
use crate::results::Results;
use crate::tables::ResultTable;
use crate::ProfileDescription;

/// Everything the page shows, already computed.
#[derive(Debug)]
pub struct ReportPage<'a> {
    pub profile: &'a ProfileDescription,
    pub results: &'a Results,
    pub tables: &'a [ResultTable],
    pub figures: &'a [Figure],
    /// Per data set, the "what this shows" statements.
    pub findings: &'a [(String, Vec<String>)],
    pub beyond: &'a crate::beyond::BeyondSection,
    /// The requested studies' subsections of "Beyond the paper" (`--study`); empty: none.
    pub beyond_the_paper: &'a str,
}

/// Escapes text for HTML content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Markdown-style `code` in our own generated sentences becomes <code>.
pub(crate) fn inline_code(text: &str) -> String {
    let escaped = escape(text);
    let mut out = String::new();
    for (i, part) in escaped.split('`').enumerate() {
        if i % 2 == 1 {
            out.push_str(&format!("<code>{part}</code>"));
        } else {
            out.push_str(part);
        }
    }
    out
}

const STYLE: &str = r#"
body { font-family: "DejaVu Sans", "Helvetica Neue", Arial, sans-serif; max-width: 1240px;
       margin: 0 auto; padding: 1.5em 2em 4em; color: #1d1d1f; line-height: 1.45; }
h1 { font-size: 1.7em; margin-bottom: 0.2em; }
h2 { border-bottom: 2px solid #ddd; padding-bottom: 0.2em; margin-top: 2em; }
.cite { color: #555; margin-top: 0; }
.profile { background: #fff6d5; border: 2px solid #e0b000; border-radius: 6px;
           padding: 0.8em 1.2em; margin: 1.2em 0; font-size: 1.05em; }
.profile.full { background: #e8f6e8; border-color: #3a9a3a; }
.profile ul { margin: 0.3em 0 0 0; }
table { border-collapse: collapse; margin: 0.6em 0; font-size: 0.93em; }
th, td { border: 1px solid #ccc; padding: 0.3em 0.6em; text-align: right; vertical-align: top; }
th { background: #f0f0f0; }
td:first-child, th:first-child, td.notes, td.l, th.l { text-align: left; }
td.notes { color: #666; font-size: 0.9em; max-width: 24em; }
td.far { color: #b00020; font-weight: bold; }
.notrun { color: #8a5a00; font-weight: bold; }
.protocol { color: #444; font-size: 0.92em; }
figure { margin: 1.2em 0 2em; }
figure svg, figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { color: #444; font-size: 0.92em; margin-top: 0.3em; }
nav a { margin-right: 1em; }
code { background: #f3f3f3; padding: 0 0.25em; border-radius: 3px; }
"#;

fn profile_banner(profile: &ProfileDescription) -> String {
    if profile.reductions.is_empty() {
        format!(
            "<div class=\"profile full\">Profile <b>{}</b>: the paper's full protocol.</div>",
            escape(&profile.name)
        )
    } else {
        let items: String = profile
            .reductions
            .iter()
            .map(|r| format!("<li>{}</li>", escape(r)))
            .collect();
        format!(
            "<div class=\"profile\">Profile <b>{}</b> — reduced from the paper's protocol, so \
             the numbers are not the paper's setting; compare the qualitative result:\
             <ul>{items}</ul></div>",
            escape(&profile.name)
        )
    }
}

fn table_html(table: &ResultTable) -> String {
    let (header, rows) = table.cells();
    let mut out = format!(
        "<h3 id=\"table-{}\">{}</h3>\n",
        table.paper.number,
        escape(&table.title())
    );
    if let Some(reason) = &table.not_run {
        out.push_str(&format!(
            "<p class=\"notrun\">Not run: {}.</p>\n",
            inline_code(reason)
        ));
    }
    out.push_str("<table>\n<tr>");
    for h in &header {
        out.push_str(&format!("<th>{}</th>", escape(h)));
    }
    out.push_str("</tr>\n");
    for (row, data) in rows.iter().zip(&table.rows) {
        out.push_str("<tr>");
        let diffs = [data.train_diff_points(), data.test_diff_points()];
        for (i, cell) in row.iter().enumerate() {
            let class = match i {
                3 if diffs[0].is_some_and(|d| d.abs() > 5.0) => " class=\"far\"",
                6 if diffs[1].is_some_and(|d| d.abs() > 5.0) => " class=\"far\"",
                9 => " class=\"notes\"",
                _ => "",
            };
            out.push_str(&format!("<td{class}>{}</td>", escape(cell)));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</table>\n");
    if let Some(line) = &table.runs_line {
        out.push_str(&format!(
            "<p class=\"protocol\">Runs: {}. Profile and protocol: <a href=\"#protocol\">\
             Protocol</a>.</p>\n",
            inline_code(line)
        ));
    }
    out
}

/// The reason cell of a run in the list of runs: a reason its table already gives in full is
/// referred to, not repeated.
fn run_reason_html(reason: Option<&str>, dataset: &str, tables: &[ResultTable]) -> String {
    let Some(reason) = reason else {
        return String::new();
    };
    let table = tables.iter().find(|t| {
        same_dataset(t.paper.dataset, dataset)
            && t.not_run.as_deref().is_some_and(|r| r.contains(reason))
    });
    match table {
        Some(t) => format!(
            "not run: see <a href=\"#table-{}\">Table {}</a>",
            t.paper.number, t.paper.roman
        ),
        None => escape(reason),
    }
}

fn runs_html(results: &Results, tables: &[ResultTable]) -> String {
    let mut out = String::from(
        "<table>\n<tr><th>Data set</th><th class=\"l\">Model</th><th>Seed</th>\
         <th class=\"l\">Status</th><th>Epochs</th><th>Seconds</th><th class=\"l\">Device</th>\
         <th class=\"l\">Reason</th></tr>\n",
    );
    for run in &results.runs {
        let s = &run.summary;
        out.push_str(&format!(
            "<tr><td>{}</td><td class=\"l\">{}</td><td>{}</td><td class=\"l\">{:?}</td><td>{}</td>\
             <td>{:.0}</td><td class=\"l\">{}</td><td class=\"notes\">{}</td></tr>\n",
            escape(&dataset_label(&s.dataset)),
            escape(&model_label(&s.model)),
            s.seed,
            s.state,
            s.epochs,
            s.seconds,
            escape(&s.device),
            run_reason_html(s.reason.as_deref(), &s.dataset, tables)
        ));
    }
    out.push_str("</table>\n");
    out
}

const PAPER_PROTOCOL: &str = "The paper: SGD with momentum 0.9, weight decay 1e-4, batch 128, \
    at most 200 epochs, learning rate 0.1 annealed to 0.0001 (our choice: ×0.1 at 50%, 75% and \
    90% of the epochs, warm-up at 0.01 for 400 iterations); MNIST without augmentation, CIFAR \
    with 4-pixel padding, random crop and flip. Condition numbers: each layer's output for N \
    samples flattened to an N × D matrix, κ = σmax/σmin, infinite when σmin ≤ max(N, D)·ε·σmax; \
    weights unfolded to out × (in·kh·kw).";

pub(crate) fn figure_html(figure: &Figure) -> String {
    // The SVG is inlined as is: plotters writes plain shapes and text, no scripts. A heat map
    // has thousands of cells, so its PNG is embedded instead (a tenth of the size).
    let svg = if figure.kind == FigureKind::SpectrumHeatMap {
        use base64::Engine;
        format!(
            "<img alt=\"{}\" src=\"data:image/png;base64,{}\">",
            escape(&figure.name),
            base64::engine::general_purpose::STANDARD.encode(&figure.png)
        )
    } else {
        figure
            .svg
            .trim_start()
            .trim_start_matches(|c| c != '<')
            .to_string()
    };
    format!(
        "<figure id=\"fig-{}\">\n{svg}\n<figcaption>{}</figcaption>\n</figure>\n",
        escape(&figure.name),
        escape(&figure.caption)
    )
}

fn kind_heading(kind: FigureKind) -> &'static str {
    match kind {
        FigureKind::Training => "Training curves",
        FigureKind::Histograms => "Activations and weights",
        FigureKind::WeightCondition => "Weight condition numbers",
        FigureKind::HiddenCondition => "Hidden-representation condition numbers",
        FigureKind::EffectiveRank => "Effective rank of the hidden representations",
        FigureKind::SpectrumHeatMap => "Hidden-representation spectra",
        FigureKind::BeyondPaper => "Beyond the paper",
        FigureKind::DepthSweep => "Accuracy and onset of singularity against depth",
    }
}

impl ReportPage<'_> {
    /// The whole page.
    pub fn render(&self) -> String {
        let mut out = String::new();
        out.push_str(&format!(
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
             <title>deepskip reproduction — profile {}</title>\n<style>{STYLE}</style>\n\
             </head>\n<body>\n",
            escape(&self.profile.name)
        ));
        out.push_str(
            "<h1>Why is everyone training very deep neural networks with skip connections? \
             — a reproduction</h1>\n<p class=\"cite\">O. K. Oyedotun, K. Al Ismaeil, D. Aouada, \
             IEEE TNNLS 34(9), 2023, pp. 5961-5975. Claim: plain 164-layer networks do not \
             train because their hidden representations become singular; ResNet and ResNeXt \
             keep them non-singular.</p>\n",
        );
        out.push_str(&profile_banner(self.profile));
        let beyond_link = if self.beyond.is_empty() {
            ""
        } else {
            "<a href=\"#beyond\">Beyond the paper</a>"
        };
        out.push_str(&format!(
            "<nav><a href=\"#findings\">What this shows</a><a href=\"#tables\">Tables</a>\
             <a href=\"#protocol\">Protocol</a><a href=\"#figures\">Figures</a>{beyond_link}\
             </nav>\n",
        ));

        out.push_str("<h2 id=\"findings\">What this shows</h2>\n");
        for (dataset, statements) in self.findings {
            out.push_str(&format!(
                "<h3>{}</h3>\n<ul>\n",
                escape(&dataset_label(dataset))
            ));
            for s in statements {
                out.push_str(&format!("<li>{}</li>\n", inline_code(s)));
            }
            out.push_str("</ul>\n");
        }

        out.push_str(
            "<h2 id=\"tables\">Tables I-IV: our results next to the paper's</h2>\n<p>Δ is our \
             mean minus the paper's number, in percentage points (red when more than 5 \
             points apart).</p>\n",
        );
        for table in self.tables {
            out.push_str(&table_html(table));
        }

        out.push_str("<h2 id=\"protocol\">Protocol</h2>\n");
        out.push_str(&format!("<p>{}</p>\n", escape(PAPER_PROTOCOL)));
        out.push_str(&format!(
            "<p>This report: {}.</p>\n",
            inline_code(&self.profile.one_line())
        ));
        out.push_str(&runs_html(self.results, self.tables));

        out.push_str("<h2 id=\"figures\">Figures</h2>\n");
        let mut current: Option<(&str, FigureKind)> = None;
        for figure in self.figures {
            if current.map(|c| c.0) != Some(figure.dataset.as_str()) {
                out.push_str(&format!(
                    "<h3>{}</h3>\n",
                    escape(&dataset_label(&figure.dataset))
                ));
                current = None;
            }
            if current.map(|c| c.1) != Some(figure.kind) {
                out.push_str(&format!("<h4>{}</h4>\n", kind_heading(figure.kind)));
            }
            current = Some((figure.dataset.as_str(), figure.kind));
            out.push_str(&figure_html(figure));
        }
        if self.figures.is_empty() {
            out.push_str(
                "<p>No run has metrics or analysis yet, so there is nothing to plot.</p>\n",
            );
        }
        let onset = self.beyond.html();
        if onset.is_empty() && !self.beyond_the_paper.is_empty() {
            out.push_str("<h2 id=\"beyond\">Beyond the paper</h2>\n");
        }
        out.push_str(&onset);
        out.push_str(self.beyond_the_paper);
        out.push_str("</body>\n</html>\n");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_formats_code() {
        assert_eq!(escape("<a & 'b'>"), "&lt;a &amp; &#39;b&#39;&gt;");
        assert_eq!(
            inline_code("use `--imagenet <dir>`"),
            "use <code>--imagenet &lt;dir&gt;</code>"
        );
    }
}

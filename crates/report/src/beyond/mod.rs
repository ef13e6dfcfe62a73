//! The report's "Beyond the paper" section: studies the paper did not make, each contributing
//! its subsections from the files it wrote under the results directory.

mod onset;
pub mod onset_data;

use std::path::Path;

use crate::figures::Figure;
use crate::html::{escape, figure_html, inline_code};
use crate::ReportError;

/// A table of generated cells.
#[derive(Debug, Clone, Default)]
pub struct TextTable {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// One subsection: a heading, numbers-first paragraphs (generated from the data), tables and
/// figures.
#[derive(Debug, Clone)]
pub struct Subsection {
    /// The HTML id, unique on the page.
    pub id: String,
    pub title: String,
    /// Sentences; `code` in backticks.
    pub paragraphs: Vec<String>,
    pub tables: Vec<TextTable>,
    pub figures: Vec<Figure>,
}

/// What a study contributes: its subsections, none when it was not run.
type Study = fn(&Path) -> Result<Vec<Subsection>, ReportError>;

/// The studies of the section, in page order (one line each).
const STUDIES: &[Study] = &[onset::subsections];

/// The whole section.
#[derive(Debug, Clone, Default)]
pub struct BeyondSection {
    pub subsections: Vec<Subsection>,
}

/// Reads every study's files under `results_dir`.
pub fn build_section(results_dir: &Path) -> Result<BeyondSection, ReportError> {
    let mut subsections = Vec::new();
    for study in STUDIES {
        subsections.extend(study(results_dir)?);
    }
    Ok(BeyondSection { subsections })
}

impl BeyondSection {
    pub fn figures(&self) -> impl Iterator<Item = &Figure> {
        self.subsections.iter().flat_map(|s| &s.figures)
    }

    pub fn is_empty(&self) -> bool {
        self.subsections.is_empty()
    }

    /// The section as HTML (empty when no study was run).
    pub fn html(&self) -> String {
        if self.is_empty() {
            return String::new();
        }
        let mut out = String::from(
            "<h2 id=\"beyond\">Beyond the paper</h2>\n<p>Measurements the paper did not make, \
             on the same runs; every number below is read from the study's files.</p>\n",
        );
        for s in &self.subsections {
            out.push_str(&format!(
                "<h3 id=\"{}\">{}</h3>\n",
                escape(&s.id),
                escape(&s.title)
            ));
            for p in &s.paragraphs {
                out.push_str(&format!("<p>{}</p>\n", inline_code(p)));
            }
            for t in &s.tables {
                out.push_str(&table_html(t));
            }
            for f in &s.figures {
                out.push_str(&figure_html(f));
            }
        }
        out
    }
}

fn table_html(table: &TextTable) -> String {
    let cells = |row: &[String], tag: &str| -> String {
        row.iter()
            .map(|c| format!("<{tag}>{}</{tag}>", escape(c)))
            .collect()
    };
    let mut out = format!("<table>\n<tr>{}</tr>\n", cells(&table.header, "th"));
    for row in &table.rows {
        out.push_str(&format!("<tr>{}</tr>\n", cells(row, "td")));
    }
    out.push_str("</table>\n");
    out
}

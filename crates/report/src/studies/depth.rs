//! The depth sweep's subsection: a table and a figure per data set, and sentences computed from
//! the points (how accuracy and the onset of singularity move with depth, per family).

use super::point::{percent, prediction_text, Study, StudyPoint};
use crate::figures::Figure;
use crate::html::{escape, figure_html};
use crate::paper_reference::dataset_label;
use crate::ReportError;

/// The figure of `dataset`'s sweep (see `figures::depth_sweep`).
pub fn depth_sweep_figure(
    points: &[StudyPoint],
    dataset: &str,
) -> Result<Option<Figure>, ReportError> {
    crate::figures::depth_sweep(points, dataset)
}

/// `dataset`'s sweep points, by family then depth.
fn sweep<'a>(points: &'a [StudyPoint], dataset: &str) -> Vec<&'a StudyPoint> {
    let mut out: Vec<&StudyPoint> = points
        .iter()
        .filter(|p| p.study == Study::Depth && p.dataset == dataset)
        .collect();
    out.sort_by(|a, b| (&a.family, a.depth, a.seed).cmp(&(&b.family, b.depth, b.seed)));
    out
}

/// One sentence per family: accuracy and onset at the shallowest and the deepest depth.
pub fn depth_sweep_sentences(points: &[StudyPoint], dataset: &str) -> Vec<String> {
    let sweep = sweep(points, dataset);
    let mut families: Vec<&str> = sweep.iter().map(|p| p.family.as_str()).collect();
    families.dedup();
    families
        .into_iter()
        .map(|family| {
            let of: Vec<&&StudyPoint> = sweep.iter().filter(|p| p.family == family).collect();
            let trail: Vec<String> = of
                .iter()
                .map(|p| {
                    format!(
                        "{}: test {}, onset {}",
                        p.depth,
                        percent(p.test_acc),
                        p.onset_text()
                    )
                })
                .collect();
            format!("{family} by depth: {}.", trail.join("; "))
        })
        .collect()
}

/// The subsection of `dataset`'s sweep: sentences, figure and table.
pub fn depth_sweep_html(points: &[StudyPoint], dataset: &str, figure: Option<&Figure>) -> String {
    let mut out = format!(
        "<h3 id=\"depth-sweep-{0}\">Depth sweep, {1}</h3>\n<p>PlainNet, ResNet and ResNeXt at \
         several depths with the same recipe (<code>--study depth</code>). Onset = the first \
         hidden layer whose representation is singular under the analysis's tolerance. Test \
         accuracy on the full test split.</p>\n<ul>\n",
        escape(dataset),
        escape(&dataset_label(dataset))
    );
    for sentence in depth_sweep_sentences(points, dataset) {
        out.push_str(&format!("<li>{}</li>\n", escape(&sentence)));
    }
    out.push_str("</ul>\n");
    if let Some(figure) = figure {
        out.push_str(&figure_html(figure));
    }
    out.push_str(
        "<table>\n<tr><th>model</th><th>depth</th><th>seed</th><th>train</th><th>test</th>\
         <th>onset</th><th>singular layers</th><th>most predicted</th><th>constant \
         predictor</th></tr>\n",
    );
    for p in sweep(points, dataset) {
        out.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{} of \
             {}</td><td>{}</td><td>{}</td></tr>\n",
            escape(&p.model),
            p.depth,
            p.seed,
            percent(p.train_acc),
            percent(p.test_acc),
            escape(&p.onset_text()),
            p.singular,
            p.analysed,
            escape(&prediction_text(p)),
            percent(p.constant_predictor_acc)
        ));
    }
    out.push_str("</table>\n");
    out
}

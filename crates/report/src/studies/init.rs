//! The initialisation study's subsection: PlainNet at the profile's depth under He and
//! delta-orthogonal initialisation, accuracy and onset side by side.

use super::point::{percent, prediction_text, Study, StudyPoint};
use crate::html::escape;
use crate::paper_reference::dataset_label;

fn init_points(points: &[StudyPoint]) -> Vec<&StudyPoint> {
    points.iter().filter(|p| p.study == Study::Init).collect()
}

/// One sentence per run: its initialisation, accuracy, onset and what it predicts.
pub fn init_sentences(points: &[StudyPoint]) -> Vec<String> {
    init_points(points)
        .into_iter()
        .map(|p| {
            format!(
                "{} {} with {} initialisation: train {}, test {}, onset {}, most predicted {}.",
                dataset_label(&p.dataset),
                p.model,
                p.init,
                percent(p.train_acc),
                percent(p.test_acc),
                p.onset_text(),
                prediction_text(p)
            )
        })
        .collect()
}

/// The subsection: sentences and a table.
pub fn init_html(points: &[StudyPoint]) -> String {
    let mut out = String::from(
        "<h3 id=\"init-study\">Delta-orthogonal initialisation</h3>\n<p>The paper calls \
         PlainNet-164 untrainable; Xiao et al. (2018) trained 10,000-layer plain CNNs with \
         delta-orthogonal convolutions (zero kernels with an orthogonal centre tap). The same \
         PlainNet with either initialisation, same recipe (<code>--study init</code>).</p>\n<ul>\n",
    );
    for sentence in init_sentences(points) {
        out.push_str(&format!("<li>{}</li>\n", escape(&sentence)));
    }
    out.push_str(
        "</ul>\n<table>\n<tr><th>data set</th><th>model</th><th>init</th><th>seed</th>\
         <th>train</th><th>test</th><th>onset</th><th>most predicted</th><th>constant \
         predictor</th></tr>\n",
    );
    for p in init_points(points) {
        out.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>\
             <td>{}</td><td>{}</td></tr>\n",
            escape(&dataset_label(&p.dataset)),
            escape(&p.model),
            escape(&p.init),
            p.seed,
            percent(p.train_acc),
            percent(p.test_acc),
            escape(&p.onset_text()),
            escape(&prediction_text(p)),
            percent(p.constant_predictor_acc)
        ));
    }
    out.push_str("</table>\n");
    out
}

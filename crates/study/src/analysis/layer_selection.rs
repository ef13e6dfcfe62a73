//! `--layers all|a,b,c` (ranges `a-b` allowed) to a [`LayerSelection`].

use anyhow::Context;
use deepskip_models::LayerSelection;

/// Parses `all` or a comma list of 1-based indices and ranges, e.g. `1,80-82,164`.
pub fn parse_layer_selection(text: &str) -> anyhow::Result<LayerSelection> {
    if text.trim().eq_ignore_ascii_case("all") {
        return Ok(LayerSelection::All);
    }
    let mut indices = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let parse = |s: &str| {
            s.trim().parse::<usize>().with_context(|| {
                format!("--layers: {s:?} is not a layer index; use all, or e.g. 1,80-82,164")
            })
        };
        match part.split_once('-') {
            Some((a, b)) => {
                let (a, b) = (parse(a)?, parse(b)?);
                anyhow::ensure!(a <= b, "--layers: range {part} runs backwards");
                indices.extend(a..=b);
            }
            None => indices.push(parse(part)?),
        }
    }
    anyhow::ensure!(
        !indices.is_empty(),
        "--layers: no layer given; use all or a list"
    );
    indices.sort_unstable();
    indices.dedup();
    Ok(LayerSelection::Only(indices))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_ranges_and_all_parse() {
        assert_eq!(parse_layer_selection("ALL").unwrap(), LayerSelection::All);
        assert_eq!(
            parse_layer_selection("5, 1-3,3").unwrap(),
            LayerSelection::Only(vec![1, 2, 3, 5])
        );
        assert!(parse_layer_selection("4-2").is_err());
        assert!(parse_layer_selection("x")
            .unwrap_err()
            .to_string()
            .contains("not a layer index"));
    }
}

//! One entry of a figure's legend column: the series' line, its label and a grey line of
//! detail under it.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::render::DrawResult;

/// Draws the entry with its line at height `y`.
pub(crate) fn legend_entry<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    y: i32,
    color: RGBColor,
    label: &str,
    detail: String,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let grey = RGBColor(90, 90, 90);
    area.draw(&PathElement::new([(4, y), (34, y)], color.stroke_width(3)))?;
    area.draw(&Text::new(
        label.to_string(),
        (42, y - 9),
        ("sans-serif", 17),
    ))?;
    area.draw(&Text::new(
        detail,
        (42, y + 11),
        ("sans-serif", 14).into_font().color(&grey),
    ))?;
    Ok(())
}

//! The font every figure uses, embedded so that PNG rendering needs no system font (headless
//! CI machines often have none). DejaVu Sans, under the Bitstream Vera licence, see
//! `assets/fonts/LICENSE-DejaVu.txt`.

use std::sync::OnceLock;

use plotters::style::{register_font, FontStyle};

use crate::ReportError;

const DEJAVU_SANS: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");

/// Registers DejaVu Sans under every generic family name plotters may ask for; idempotent.
pub(crate) fn ensure_registered() -> Result<(), ReportError> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| {
        ["sans-serif", "serif", "monospace"].iter().all(|family| {
            [FontStyle::Normal, FontStyle::Bold]
                .iter()
                .all(|style| register_font(family, *style, DEJAVU_SANS).is_ok())
        })
    });
    if ok {
        Ok(())
    } else {
        Err(ReportError::Font {
            name: "DejaVuSans.ttf",
        })
    }
}

//! What reaches a person's terminal: colour choice, progress, error rendering.

use crate::cli::{ColorChoice, GlobalArgs};

pub fn init(global: &GlobalArgs) {
    match global.color {
        ColorChoice::Always => anstream::ColorChoice::Always.write_global(),
        ColorChoice::Never => anstream::ColorChoice::Never.write_global(),
        ColorChoice::Auto => {}
    }
}

/// `error: <top>` followed by each cause on its own line.
pub fn render_error(err: &anyhow::Error) -> String {
    let red = anstyle::Style::new()
        .bold()
        .fg_color(Some(anstyle::AnsiColor::Red.into()));
    let mut text = format!("{red}error{red:#}: {err}");
    for cause in err.chain().skip(1) {
        text.push_str(&format!("\n  caused by: {cause}"));
    }
    text
}

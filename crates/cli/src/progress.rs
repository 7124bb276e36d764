//! Progress bars on stderr (indicatif), drawn only when stderr is a terminal.

use std::io::IsTerminal as _;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A bar for `total` steps of `what` ("keys", "secrets"). On a pipe nothing is drawn, unless
/// `lines_when_piped`, which prints `label: done/total` lines instead (for logs of long runs).
#[derive(Debug)]
pub struct Bar {
    bar: Option<ProgressBar>,
    label: &'static str,
    lines: bool,
}

impl Bar {
    pub fn new(
        total: usize,
        label: &'static str,
        what: &'static str,
        lines_when_piped: bool,
    ) -> Self {
        let terminal = std::io::stderr().is_terminal();
        let bar = (terminal && total > 1).then(|| {
            let bar =
                ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::stderr());
            let template = format!("{label} [{{bar:30}}] {{pos}}/{{len}} {what} ({{eta}} left)");
            if let Ok(style) = ProgressStyle::with_template(&template) {
                bar.set_style(style.progress_chars("#>-"));
            }
            bar
        });
        Self {
            bar,
            label,
            lines: !terminal && lines_when_piped,
        }
    }

    /// `done` of the total are finished.
    pub fn update(&self, done: usize, total: usize) {
        match &self.bar {
            Some(bar) => {
                bar.set_position(done as u64);
                if done >= total {
                    bar.finish();
                }
            }
            None if self.lines && total > 0 => {
                eprintln!("{}: {done}/{total}", self.label);
            }
            None => {}
        }
    }
}

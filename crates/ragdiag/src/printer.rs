//! Everything the commands print goes through here: data on stdout; notes, progress and
//! warnings on stderr. `--quiet` hides notes and progress only; warnings and errors always print.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use ragdiag_core::Diagnostics;
use ragdiag_retrieve::Progress;
use std::fmt::Display;
use std::io::Write as _;
use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

/// Kinds of warning printed on stderr by a command; the rest are counted.
pub(crate) const MAX_PRINTED_WARNINGS: usize = 50;

/// Places listed after the first finding of a kind.
pub(crate) const LOCATIONS_SHOWN: usize = 3;

/// The one printer of a command run.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Printer {
    quiet: bool,
}

impl Printer {
    pub(crate) fn new(quiet: bool) -> Self {
        Printer { quiet }
    }

    /// Whether notes and progress are hidden.
    pub(crate) fn quiet(self) -> bool {
        self.quiet
    }

    /// A note on stderr (hidden by `--quiet`).
    #[allow(clippy::print_stderr)]
    pub(crate) fn note(self, message: impl Display) {
        if !self.quiet {
            eprintln!("{message}");
        }
    }

    /// A warning on stderr (always printed).
    #[allow(clippy::print_stderr)]
    pub(crate) fn warn(self, message: impl Display) {
        eprintln!("warning: {message}");
    }

    /// A line on stderr that is neither a note nor a warning (a failed gate): always printed.
    #[allow(clippy::print_stderr)]
    pub(crate) fn say(self, message: impl Display) {
        eprintln!("{message}");
    }

    /// Data on stdout.
    pub(crate) fn data(self, text: &str) -> std::io::Result<()> {
        let mut out = std::io::stdout().lock();
        out.write_all(text.as_bytes())?;
        out.flush()
    }

    /// Warning lines, at most [`MAX_PRINTED_WARNINGS`] of them, then how many more `report`
    /// lists.
    pub(crate) fn warning_lines<T: Display>(self, lines: &[T], report: &Path) {
        for w in lines.iter().take(MAX_PRINTED_WARNINGS) {
            self.warn(w);
        }
        if lines.len() > MAX_PRINTED_WARNINGS {
            self.warn(format_args!(
                "… and {} more, all listed in {}",
                lines.len() - MAX_PRINTED_WARNINGS,
                report.display()
            ));
        }
    }

    /// Progress bars for the library stages (nothing when quiet).
    pub(crate) fn bars(self) -> Bars {
        Bars::new(self.quiet)
    }
}

/// Each kind of finding once, with its count and first places: what reports list.
pub(crate) fn collapsed_lines(findings: &Diagnostics) -> Vec<String> {
    findings
        .collapse(LOCATIONS_SHOWN)
        .iter()
        .map(ToString::to_string)
        .collect()
}

/// indicatif bars on stderr, one stage at a time; nothing with `--quiet` or when stderr is not a
/// terminal (then each stage prints one line when it ends, unless quiet).
pub(crate) struct Bars {
    quiet: bool,
    current: Mutex<Option<(String, ProgressBar)>>,
}

impl Bars {
    pub(crate) fn new(quiet: bool) -> Self {
        Bars {
            quiet,
            current: Mutex::new(None),
        }
    }
}

impl Progress for Bars {
    fn start(&self, stage: &str, total: u64) {
        if self.quiet {
            return;
        }
        let bar = if total > 0 {
            ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr())
        } else {
            ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr())
        };
        let style = if total > 0 {
            ProgressStyle::with_template("{msg:>18} [{bar:30}] {pos}/{len} ({per_sec}, {eta} left)")
        } else {
            ProgressStyle::with_template("{msg:>18} {spinner} {elapsed}")
        };
        if let Ok(style) = style {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message(stage.to_owned());
        bar.enable_steady_tick(Duration::from_millis(200));
        let mut cur = self.current.lock().unwrap_or_else(|e| e.into_inner());
        *cur = Some((stage.to_owned(), bar));
    }

    fn advance(&self, n: u64) {
        if let Some((_, bar)) = &*self.current.lock().unwrap_or_else(|e| e.into_inner()) {
            bar.inc(n);
        }
    }

    #[allow(clippy::print_stderr)]
    fn finish(&self) {
        let taken = self
            .current
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if let Some((stage, bar)) = taken {
            let elapsed = bar.elapsed();
            let done = bar.position();
            bar.finish_and_clear();
            if done > 0 {
                eprintln!("{stage}: {done} in {:.1} s", elapsed.as_secs_f64());
            } else {
                eprintln!("{stage}: {:.1} s", elapsed.as_secs_f64());
            }
        }
    }
}

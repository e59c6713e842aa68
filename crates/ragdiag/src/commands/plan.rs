//! `ragdiag plan`: how many questions a comparison needs, or what a question set can detect.

use crate::cli::{Format, PlanArgs};
use crate::printer::Printer;
use crate::ExitStatus;
use anyhow::{bail, Result};
use ragdiag_core::group_thousands;
use ragdiag_eval::power::{self, Design};
use serde_json::json;
use std::fmt::Write as _;

/// Whether `metric` is a share of questions (0/1 per question) rather than a mean of graded
/// values.
fn is_proportion(metric: &str) -> bool {
    let m = metric.to_ascii_lowercase();
    m.starts_with("hit@") || m.starts_with("success@")
}

/// One plan: paired and unpaired figures for the metric.
struct Plan {
    /// Questions needed (or the detectable drop), paired.
    paired: Option<f64>,
    /// The same, unpaired (per question set).
    unpaired: Option<f64>,
    /// What the paired figure assumes.
    paired_assumes: String,
}

pub(crate) fn run(args: &PlanArgs, printer: Printer) -> Result<ExitStatus> {
    let design = Design {
        alpha: args.alpha,
        power: args.power,
    };
    if !(args.alpha > 0.0 && args.alpha < 1.0) {
        bail!("--alpha {}: expected a level between 0 and 1", args.alpha);
    }
    if !(args.power > 0.0 && args.power < 1.0) {
        bail!(
            "--power {}: expected a probability between 0 and 1",
            args.power
        );
    }
    if !args.baseline.is_finite() {
        bail!("--baseline {}: expected a number", args.baseline);
    }
    if let Some(d) = args.delta {
        if !(d.is_finite() && d != 0.0) {
            bail!("--delta {d}: expected a non-zero difference");
        }
    }
    if args.questions == Some(0) {
        bail!("--questions 0: expected at least one question");
    }
    let proportion = is_proportion(&args.metric);
    let plan = if proportion {
        if args.sd.is_some() || args.sd_diff.is_some() {
            bail!(
                "{} is a proportion: its spread follows from --baseline; --sd and --sd-diff are for means",
                args.metric
            );
        }
        if !(0.0..=1.0).contains(&args.baseline) {
            bail!(
                "--baseline {}: {} is a proportion between 0 and 1",
                args.baseline,
                args.metric
            );
        }
        if let Some(psi) = args.discordance {
            if !(0.0..=1.0).contains(&psi) {
                bail!("--discordance {psi}: expected a share between 0 and 1");
            }
        }
        proportion_plan(args, &design)?
    } else {
        if args.discordance.is_some() {
            bail!(
                "{} is a mean, not a proportion: --discordance is for hit@K and success@K; give --sd-diff",
                args.metric
            );
        }
        let Some(sd) = args.sd else {
            bail!(
                "{} is a mean of graded per-question values: give --sd, their standard deviation \
                 (e.g. from the metric's column in queries.parquet)",
                args.metric
            );
        };
        if !(sd.is_finite() && sd > 0.0)
            || args.sd_diff.is_some_and(|s| !(s.is_finite() && s > 0.0))
        {
            bail!("--sd and --sd-diff: expected positive standard deviations");
        }
        mean_plan(args, sd, &design)
    };
    let text = match args.format {
        Format::Json => {
            let mut v = json!({
                "metric": args.metric,
                "baseline": args.baseline,
                "alpha": args.alpha,
                "power": args.power,
                "kind": if proportion { "proportion" } else { "mean" },
                "paired_assumes": plan.paired_assumes,
            });
            match (args.delta, args.questions) {
                (Some(d), _) => {
                    v["delta"] = json!(d);
                    v["questions_paired"] = json!(plan.paired.map(|x| x as u64));
                    v["questions_unpaired_per_set"] = json!(plan.unpaired.map(|x| x as u64));
                }
                (None, Some(n)) => {
                    v["questions"] = json!(n);
                    v["detectable_drop_paired"] = json!(plan.paired);
                    v["detectable_drop_unpaired"] = json!(plan.unpaired);
                }
                (None, None) => unreachable!("clap requires --delta or --questions"),
            }
            format!("{}\n", serde_json::to_string_pretty(&v)?)
        }
        Format::Text | Format::Csv => text(args, &plan),
    };
    printer.data(&text)?;
    Ok(ExitStatus::Success)
}

fn proportion_plan(args: &PlanArgs, design: &Design) -> Result<Plan> {
    let p1 = args.baseline;
    let paired_assumes = match args.discordance {
        Some(psi) => format!("the systems disagree on {:.1}% of questions", psi * 100.0),
        None => "the systems' outcomes independent (the most questions; pass --discordance, \
                 e.g. (wins + losses) / n of a past comparison, for a usual, smaller figure)"
            .to_owned(),
    };
    Ok(match (args.delta, args.questions) {
        (Some(delta), _) => {
            if !(0.0..=1.0).contains(&(p1 + delta)) {
                bail!(
                    "--baseline {p1} with --delta {delta} leaves 0–1: {} is a proportion",
                    args.metric
                );
            }
            if args.discordance.is_some_and(|psi| psi < delta.abs()) {
                bail!(
                    "--discordance must be at least |--delta| ({}): two systems whose rates \
                     differ by {} disagree on at least that share of questions",
                    delta.abs(),
                    delta.abs()
                );
            }
            Plan {
                paired: power::paired_proportion(p1, delta, args.discordance, design)
                    .map(|n| n as f64),
                unpaired: power::unpaired_proportion(p1, delta, design).map(|n| n as f64),
                paired_assumes,
            }
        }
        (None, Some(n)) => Plan {
            paired: power::detectable_drop_paired(p1, n, args.discordance, design),
            unpaired: power::detectable_drop_unpaired(p1, n, design),
            paired_assumes,
        },
        (None, None) => unreachable!("clap requires --delta or --questions"),
    })
}

fn mean_plan(args: &PlanArgs, sd: f64, design: &Design) -> Plan {
    let sd_diff = args.sd_diff.unwrap_or(sd * std::f64::consts::SQRT_2);
    let paired_assumes = match args.sd_diff {
        Some(s) => format!("the per-question differences have a standard deviation of {s}"),
        None => format!(
            "no correlation between the systems (differences' standard deviation {sd_diff:.4} \
             = --sd × √2, the most questions; pass --sd-diff for a usual, smaller figure)"
        ),
    };
    match (args.delta, args.questions) {
        (Some(delta), _) => Plan {
            paired: power::mean_difference(sd_diff, delta, true, design).map(|n| n as f64),
            unpaired: power::mean_difference(sd, delta, false, design).map(|n| n as f64),
            paired_assumes,
        },
        (None, Some(n)) => Plan {
            paired: power::detectable_mean_difference(sd_diff, n, true, design),
            unpaired: power::detectable_mean_difference(sd, n, false, design),
            paired_assumes,
        },
        (None, None) => unreachable!("clap requires --delta or --questions"),
    }
}

fn text(args: &PlanArgs, plan: &Plan) -> String {
    let mut out = String::new();
    let design = format!(
        "two-sided α = {}, power {:.0}%",
        args.alpha,
        args.power * 100.0
    );
    let count = |x: Option<f64>| {
        x.map_or_else(
            || "no number of questions suffices".to_owned(),
            |n| format!("{} questions", group_thousands(&n.to_string())),
        )
    };
    let drop = |x: Option<f64>| {
        x.map_or_else(
            || "no drop is detectable".to_owned(),
            |d| format!("a drop of {d:.4} (to {:.4})", args.baseline - d),
        )
    };
    match (args.delta, args.questions) {
        (Some(delta), _) => {
            let _ = writeln!(
                out,
                "{} at {}: to detect a change of {delta:+} ({design}):",
                args.metric, args.baseline
            );
            let _ = writeln!(
                out,
                "  paired (both systems on the same questions): {}, assuming {}",
                count(plan.paired),
                plan.paired_assumes
            );
            let _ = writeln!(
                out,
                "  unpaired (a separate question set per system): {} per set",
                count(plan.unpaired)
            );
        }
        (None, Some(n)) => {
            let _ = writeln!(
                out,
                "{} at {} with {} questions ({design}):",
                args.metric,
                args.baseline,
                group_thousands(&n.to_string())
            );
            let _ = writeln!(
                out,
                "  paired: detects {}, assuming {}",
                drop(plan.paired),
                plan.paired_assumes
            );
            let _ = writeln!(
                out,
                "  unpaired ({n} per set): detects {}",
                drop(plan.unpaired)
            );
        }
        (None, None) => unreachable!("clap requires --delta or --questions"),
    }
    out
}

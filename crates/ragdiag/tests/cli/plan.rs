//! `ragdiag plan`: questions needed and detectable differences.

use crate::ragdiag;

#[test]
fn questions_needed_for_a_proportion() {
    let o = ragdiag(&[
        "plan",
        "--metric",
        "hit@5",
        "--baseline",
        "0.8",
        "--delta",
        "0.03",
    ]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    // By hand: ψ = 0.8·0.17 + 0.83·0.2 = 0.302;
    // n = (1.959964·√0.302 + 0.841621·√(0.302 − 0.0009))² / 0.0009 = 2631.4.
    assert!(
        o.stdout
            .contains("paired (both systems on the same questions): 2,632 questions"),
        "{}",
        o.stdout
    );
    // Fleiss: (1.959964·√(2·0.815·0.185) + 0.841621·√(0.16 + 0.1411))² / 0.0009 = 2628.3.
    assert!(o.stdout.contains("2,629 questions per set"), "{}", o.stdout);
    // A measured discordance (and a drop, a negative delta) needs far fewer.
    let o = ragdiag(&[
        "plan",
        "--metric",
        "hit@5",
        "--baseline",
        "0.8",
        "--delta",
        "-0.03",
        "--discordance",
        "0.1",
        "--format",
        "json",
    ]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let v: serde_json::Value = serde_json::from_str(&o.stdout).unwrap();
    // (1.959964·√0.1 + 0.841621·√0.0991)² / 0.0009 = 869.6.
    assert_eq!(v["questions_paired"], 870);
    assert_eq!(v["kind"], "proportion");
}

#[test]
fn detectable_drop_and_means() {
    let o = ragdiag(&[
        "plan",
        "--metric",
        "hit@5",
        "--baseline",
        "0.94",
        "--questions",
        "133",
    ]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(o.stdout.contains("with 133 questions"), "{}", o.stdout);
    assert!(o.stdout.contains("detects a drop of 0.1"), "{}", o.stdout);
    // A mean: σ = 0.3, δ = 0.02 → 2·(2.8016)²·0.09/0.0004 = 3531.9 per set.
    let o = ragdiag(&[
        "plan",
        "--metric",
        "ndcg@10",
        "--baseline",
        "0.6",
        "--delta",
        "0.02",
        "--sd",
        "0.3",
        "--sd-diff",
        "0.15",
    ]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(o.stdout.contains("3,532 questions per set"), "{}", o.stdout);
    // Paired with σ_d = 0.15: 7.849·0.0225/0.0004 = 441.5.
    assert!(
        o.stdout
            .contains("paired (both systems on the same questions): 442 questions"),
        "{}",
        o.stdout
    );
}

#[test]
fn impossible_or_incomplete_plans_are_usage_errors() {
    for (args, expected) in [
        (
            &[
                "--metric",
                "ndcg@10",
                "--baseline",
                "0.6",
                "--delta",
                "0.02",
            ][..],
            "give --sd",
        ),
        (
            &["--metric", "hit@5", "--baseline", "0.99", "--delta", "0.03"][..],
            "leaves 0–1",
        ),
        (
            &["--metric", "hit@5", "--baseline", "1.5", "--delta", "0.03"][..],
            "between 0 and 1",
        ),
        (
            &[
                "--metric",
                "hit@5",
                "--baseline",
                "0.8",
                "--delta",
                "0.1",
                "--discordance",
                "0.05",
            ][..],
            "at least |--delta|",
        ),
        (
            &["--metric", "hit@5", "--baseline", "0.8", "--delta", "0"][..],
            "non-zero",
        ),
        (
            &["--metric", "hit@5", "--baseline", "0.8", "--questions", "0"][..],
            "at least one question",
        ),
        (
            &[
                "--metric",
                "hit@5",
                "--baseline",
                "0.8",
                "--delta",
                "0.1",
                "--power",
                "1",
            ][..],
            "--power",
        ),
        (&["--metric", "hit@5", "--baseline", "0.8"][..], "--delta"),
    ] {
        let mut all = vec!["plan"];
        all.extend_from_slice(args);
        let o = ragdiag(&all);
        assert_eq!(o.code, 2, "{args:?}: {}", o.stderr);
        assert!(o.stderr.contains(expected), "{args:?}: {}", o.stderr);
    }
}

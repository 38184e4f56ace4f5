//! `report.md`: the run and the machine, the claims with their evidence, the robustness table, every experiment's own section, and the figures.

use std::fmt::Write as _;

use super::summary::Summary;
use crate::markdown::{Table, fmt_sig};

/// The report's Markdown: the run, the machine, the claims and the
/// robustness table, then every experiment's section (`sections`, in the
/// list's order) and the figures.
pub fn report_markdown(s: &Summary, sections: &[String], figures: &[String]) -> String {
    let mut md = String::new();
    let mode = s.mode.label();
    let _ = writeln!(md, "# Dopamine: reproduction report ({mode} mode)\n");
    let _ = writeln!(
        md,
        "Produced by `{}` in {:.0} s. Every number below is measured by that command; every verdict is computed from these numbers by `dopamine_bench::claims`, not written by hand. The rules are this project's formulation of the paper's idea (`docs/algorithm.md`).\n",
        s.command, s.seconds
    );
    if !s.resumed.is_empty() {
        let parts: Vec<String> = s
            .resumed
            .iter()
            .map(|(e, rev)| format!("{e} (revision {rev})"))
            .collect();
        let _ = writeln!(
            md,
            "With `--resume`, these experiments were not rerun: their results come from an earlier run's saved state, produced by the revision given: {}. The time above covers only what this command ran.\n",
            parts.join(", ")
        );
    }
    let _ = writeln!(md, "## Machine and revision\n\n{}", s.machine.to_markdown());
    let _ = writeln!(md, "## Claims\n");
    let mut t = Table::new(["claim", "verdict", "evidence"]);
    for c in &s.claims {
        let evidence: Vec<String> = c
            .checks
            .iter()
            .map(|k| {
                format!(
                    "{} {}: {}",
                    if k.passed { "✓" } else { "✗" },
                    k.what,
                    k.numbers
                )
            })
            .collect();
        t.row([
            format!("{} {}", c.id, c.statement),
            c.verdict.label().to_string(),
            evidence.join("<br>"),
        ]);
    }
    let _ = writeln!(md, "{}", t.render());
    let _ = writeln!(
        md,
        "C1 takes Dopamine's best variant (Dopamine-1, -2 or -3) against the best of WP, OpenES and SNES; C2 and C3 take Dopamine's best variant too. C3's first checks compare cost *per training step*; its last ones the compute to reach the worst final test NRMSE among the methods that beat persistence (a method worse than persistence has not learned the task).\n"
    );
    let _ = writeln!(
        md,
        "## Robustness to settings\n\nFor every method on E2 and E3: the validation NRMSE (median over tuning seeds) over its whole tuning grid — the fraction of the grid within 2x of its best cell and the number of cells that diverged. Heat maps per method are in the figures (`*_grid_*`; for a grid with variants, the plane of the chosen variant).\n"
    );
    let mut t = Table::new([
        "experiment",
        "optimizer",
        "grid",
        "best validation NRMSE",
        "within 2x of best",
        "diverged",
    ]);
    for r in &s.robustness {
        t.row([
            r.experiment.clone(),
            r.optimizer.to_string(),
            if r.shape.is_empty() {
                r.grid.to_string()
            } else {
                format!("{} ({})", r.grid, r.shape)
            },
            fmt_sig(r.best, 3),
            format!("{:.0}%", 100.0 * r.within_2x),
            r.diverged.to_string(),
        ]);
    }
    let _ = writeln!(md, "{}", t.render());
    for section in sections {
        md.push_str(section);
    }
    let _ = writeln!(md, "## Figures\n");
    for f in figures {
        let _ = writeln!(md, "![{f}]({f})\n");
    }
    let _ = writeln!(
        md,
        "Per-run curves are CSV files under `curves/`; `summary.json` holds every number above."
    );
    md
}

//! A claim, its checks (each comparison with its numbers) and the verdict computed from them.

use serde::{Deserialize, Serialize};

/// A claim's verdict, computed from the data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Verdict {
    /// Every comparison behind the claim favours it.
    Holds,
    /// Some do, some do not.
    PartlyHolds,
    /// None does.
    DoesNotHold,
}

impl Verdict {
    /// From the outcomes of the claim's comparisons.
    pub fn from_checks(checks: &[Check]) -> Verdict {
        let passed = checks.iter().filter(|c| c.passed).count();
        if checks.is_empty() || passed == 0 {
            Verdict::DoesNotHold
        } else if passed == checks.len() {
            Verdict::Holds
        } else {
            Verdict::PartlyHolds
        }
    }

    /// As written in the report.
    pub fn label(&self) -> &'static str {
        match self {
            Verdict::Holds => "holds",
            Verdict::PartlyHolds => "partly holds",
            Verdict::DoesNotHold => "does not hold",
        }
    }
}

/// One comparison behind a claim, with its numbers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Check {
    /// What was compared.
    pub what: String,
    /// The numbers, in words.
    pub numbers: String,
    /// Whether it favours the claim.
    pub passed: bool,
}

/// A claim with its verdict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Claim {
    /// `C1`, `C2`, `C3`.
    pub id: String,
    /// The claim in words.
    pub statement: String,
    /// The comparisons.
    pub checks: Vec<Check>,
    /// The verdict.
    pub verdict: Verdict,
}

/// The claim `id` with its checks and the verdict they give.
pub(super) fn claim(id: &str, statement: &str, checks: Vec<Check>) -> Claim {
    Claim {
        id: id.into(),
        statement: statement.into(),
        verdict: Verdict::from_checks(&checks),
        checks,
    }
}

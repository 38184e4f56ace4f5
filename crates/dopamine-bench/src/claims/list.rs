//! The one list of the claims, in the order the report gives them.

use super::c1::c1;
use super::c2::c2;
use super::c3::c3;
use super::evidence::Evidence;
use super::verdict::Claim;

/// Every claim `reproduce` judges: C1, C2, C3.
pub static CLAIMS: &[fn(&Evidence<'_>) -> Claim] = &[c1, c2, c3];

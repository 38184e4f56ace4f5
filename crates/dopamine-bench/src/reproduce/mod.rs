//! `cargo xtask reproduce`: runs the experiments of the one list, writes `report.md`, `summary.json`, CSV curves and figures.

mod options;
mod report;
mod run;
mod summary;

pub use options::ReproduceOptions;
pub use report::report_markdown;
pub use run::reproduce;
pub use summary::Summary;

//! `cargo xtask`: developer tasks for the dopamine workspace.

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("reproduce") => {
            eprintln!("xtask reproduce: not implemented yet (issue 5)");
            ExitCode::FAILURE
        }
        _ => {
            eprintln!("usage: cargo xtask <reproduce> [--quick]");
            ExitCode::FAILURE
        }
    }
}

//! A description of the machine, toolchain and git revision that produced a report.
//!
//! Every probe tolerates failure: a value that cannot be found is reported as
//! `"unknown"` (or `None` for memory) instead of failing the report.

use std::process::Command;

use serde::{Deserialize, Serialize};

/// Text used for anything that could not be determined.
pub const UNKNOWN: &str = "unknown";

/// Where and with what a benchmark ran.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MachineInfo {
    /// CPU model name (first `model name` in `/proc/cpuinfo` on Linux), or `"unknown"`.
    pub cpu_model: String,
    /// Logical cores available to this process (`std::thread::available_parallelism`).
    pub logical_cores: usize,
    /// Total memory in bytes (`MemTotal` in `/proc/meminfo`), if known.
    pub total_memory_bytes: Option<u64>,
    /// Operating system (`std::env::consts::OS`).
    pub os: String,
    /// CPU architecture (`std::env::consts::ARCH`).
    pub arch: String,
    /// Output of `rustc --version`, or `"unknown"`.
    pub rustc_version: String,
    /// `git rev-parse --short HEAD`, with `-dirty` appended when
    /// `git status --porcelain` lists changes, or `"unknown"` outside a git repository.
    pub git_revision: String,
}

impl MachineInfo {
    /// Probes the current machine; git is asked about the current directory.
    pub fn detect() -> MachineInfo {
        MachineInfo {
            cpu_model: cpu_model().unwrap_or_else(|| UNKNOWN.to_string()),
            logical_cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
            total_memory_bytes: total_memory_bytes(),
            os: std::env::consts::OS.to_string(),
            arch: std::env::consts::ARCH.to_string(),
            rustc_version: rustc_version().unwrap_or_else(|| UNKNOWN.to_string()),
            git_revision: git_revision().unwrap_or_else(|| UNKNOWN.to_string()),
        }
    }

    /// A short Markdown bullet list, one line per field, ending with a newline.
    pub fn to_markdown(&self) -> String {
        let memory = self
            .total_memory_bytes
            .map_or_else(|| UNKNOWN.to_string(), format_gib);
        format!(
            "- CPU: {} ({} logical cores)\n- Memory: {}\n- OS: {} ({})\n- Rust: {}\n- Revision: {}\n",
            self.cpu_model,
            self.logical_cores,
            memory,
            self.os,
            self.arch,
            self.rustc_version,
            self.git_revision,
        )
    }
}

fn format_gib(bytes: u64) -> String {
    format!("{:.1} GiB", bytes as f64 / f64::from(1u32 << 30))
}

/// The value after the first `key<spaces>:` line of a `/proc`-style text.
fn proc_field<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    text.lines().find_map(|line| {
        let (name, value) = line.split_once(':')?;
        (name.trim() == key).then(|| value.trim())
    })
}

fn cpu_model() -> Option<String> {
    let text = std::fs::read_to_string("/proc/cpuinfo").ok()?;
    parse_cpu_model(&text)
}

fn parse_cpu_model(cpuinfo: &str) -> Option<String> {
    // x86 uses "model name"; some ARM kernels only give "Hardware" or "Processor".
    ["model name", "Hardware", "Processor", "cpu model"]
        .iter()
        .find_map(|key| proc_field(cpuinfo, key))
        .filter(|v| !v.is_empty())
        .map(str::to_string)
}

fn total_memory_bytes() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    parse_mem_total(&text)
}

fn parse_mem_total(meminfo: &str) -> Option<u64> {
    let value = proc_field(meminfo, "MemTotal")?;
    let kib: u64 = value.trim_end_matches("kB").trim().parse().ok()?;
    Some(kib * 1024)
}

/// Standard output of a command, trimmed, if it ran and succeeded.
fn command_output(program: &str, args: &[&str]) -> Option<String> {
    let output = Command::new(program).args(args).output().ok()?;
    if !output.status.success() {
        return None;
    }
    Some(String::from_utf8_lossy(&output.stdout).trim().to_string())
}

fn rustc_version() -> Option<String> {
    // Cargo sets RUSTC for build scripts and some tools; fall back to `rustc`.
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_string());
    command_output(&rustc, &["--version"]).filter(|v| !v.is_empty())
}

fn git_revision() -> Option<String> {
    let hash =
        command_output("git", &["rev-parse", "--short", "HEAD"]).filter(|h| !h.is_empty())?;
    match command_output("git", &["status", "--porcelain"]) {
        Some(changes) if !changes.is_empty() => Some(format!("{hash}-dirty")),
        Some(_) => Some(hash),
        None => Some(format!("{hash}-unknown-status")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_proc_files() {
        let cpuinfo = "processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Intel(R) Xeon(R) CPU @ 2.20GHz\n";
        assert_eq!(
            parse_cpu_model(cpuinfo).as_deref(),
            Some("Intel(R) Xeon(R) CPU @ 2.20GHz")
        );
        assert_eq!(parse_cpu_model("processor : 0\n"), None);
        let meminfo = "MemTotal:       16318480 kB\nMemFree:         1000 kB\n";
        assert_eq!(parse_mem_total(meminfo), Some(16_318_480 * 1024));
        assert_eq!(parse_mem_total("garbage"), None);
    }

    #[test]
    fn detects_and_renders_without_failing() {
        let info = MachineInfo::detect();
        assert!(info.logical_cores >= 1);
        assert!(!info.os.is_empty());
        let markdown = info.to_markdown();
        assert_eq!(markdown.lines().count(), 5);
        assert!(markdown.lines().all(|l| l.starts_with("- ")));
        let json = serde_json::to_string(&info).unwrap();
        let back: MachineInfo = serde_json::from_str(&json).unwrap();
        assert_eq!(back, info);
    }
}

//! Tidy: checks of the repository itself — every `.rs` file opens with `//!`, the code map names only paths that exist, relative Markdown links resolve, and `unsafe` appears only where the allowlist says why.
//!
//! In the spirit of rust-analyzer's tidy tests: each rule is a function of a
//! root folder that returns the violations, run once on the repository and
//! once on a temporary tree built to break it (so a rule that cannot fail
//! would show). The README's code example is compiled and run as a doctest
//! of `dopamine-train` (see its `ReadmeDoctests`).

use std::fs;
use std::path::{Path, PathBuf};

/// The keyword the last rule looks for, spelt so that this file does not
/// contain it.
const UNSAFE: &str = concat!("uns", "afe");

/// Files that may contain `unsafe`, and why.
const UNSAFE_ALLOWLIST: &[(&str, &str)] = &[
    (
        "crates/dopamine-meter/src/lib.rs",
        "implements GlobalAlloc, whose methods cannot be safe; each forwards to System",
    ),
    (
        "crates/dopamine-bench/examples/gaussian_proposal.rs",
        "calls its AVX2 build only after checking that the CPU has AVX2",
    ),
    (
        "crates/dopamine-core/src/noise/mod.rs",
        "calls the AVX2 generator only after cpuid has shown that the CPU has AVX2",
    ),
    (
        "crates/dopamine-core/src/noise/x86.rs",
        "AVX2 intrinsics (target_feature functions); the scalar path gives the same bits",
    ),
    (
        "crates/dopamine-core/src/node/dispatch.rs",
        "calls Dopamine-3's hot loops compiled for AVX2 only after cpuid has shown that the CPU has AVX2; the portable copy is the same code",
    ),
    (
        "crates/dopamine-nets/src/rnn_node.rs",
        "calls the two-copy AVX2 kernel (rnn_node_simd.rs) only inside the AVX2 copy of a dispatched kernel",
    ),
    (
        "crates/dopamine-nets/src/rnn_node_simd.rs",
        "AVX2 intrinsics (target_feature functions) and f32/f64 slice casts checked by TypeId; the portable rows give the same bits",
    ),
    (
        "crates/dopamine-core/src/noise/tests.rs",
        "tests the AVX2 generator against the scalar one, on CPUs that have AVX2",
    ),
    (
        "crates/dopamine-nets/src/simd.rs",
        "AVX2 kernels of the activations and the RNN step (target_feature functions, unaligned loads within checked slices)",
    ),
    (
        "crates/dopamine-nets/src/vmath.rs",
        "dispatches to the AVX2 activations after a run-time feature check",
    ),
    (
        "crates/dopamine-nets/src/rnn_forward.rs",
        "dispatches to the fused AVX2 RNN step after a run-time feature check",
    ),
    (
        "crates/dopamine-nets/src/rnn_population.rs",
        "dispatches to the AVX2 population product after a run-time feature check",
    ),
    (
        "crates/dopamine-py/src/arrays.rs",
        "reads a numpy array's flags through the C API (PyO3 has no safe accessor for the writeable flag)",
    ),
    (
        "examples/embedded/src/board.rs",
        "the firmware reads the stack's painted region and the SysTick registers",
    ),
];

/// Folders never scanned: build output, VCS data, vendored or generated trees.
fn skipped(name: &str) -> bool {
    name.starts_with('.') || name == "target" || name.starts_with("target-")
}

/// Every file under `root` with extension `ext`, paths relative to `root`, sorted.
fn files(root: &Path, ext: &str) -> Vec<PathBuf> {
    fn walk(root: &Path, dir: &Path, ext: &str, out: &mut Vec<PathBuf>) {
        let Ok(entries) = fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().to_string();
            if path.is_dir() {
                if !skipped(&name) {
                    walk(root, &path, ext, out);
                }
            } else if path.extension().is_some_and(|e| e == ext) {
                out.push(path.strip_prefix(root).unwrap_or(&path).to_path_buf());
            }
        }
    }
    let mut out = Vec::new();
    walk(root, root, ext, &mut out);
    out.sort();
    out
}

/// `.rs` files whose first line is not a `//!` doc comment.
fn files_without_module_docs(root: &Path) -> Vec<String> {
    files(root, "rs")
        .into_iter()
        .filter(|f| {
            let text = fs::read_to_string(root.join(f)).unwrap_or_default();
            !text.starts_with("//!")
        })
        .map(|f| f.display().to_string())
        .collect()
}

/// Backticked tokens of the code map (`## Code map` up to the next `## `)
/// that look like paths and exist neither at the root nor under the crate
/// of the section (`### \`crates/x\``), nor under its `src/`.
fn code_map_paths_missing(root: &Path) -> Vec<String> {
    let text = fs::read_to_string(root.join("ARCHITECTURE.md")).unwrap_or_default();
    let Some(start) = text.find("\n## Code map") else {
        return vec!["ARCHITECTURE.md has no `## Code map` section".to_string()];
    };
    let map = &text[start + 1..];
    let map = &map[..map[3..].find("\n## ").map_or(map.len(), |e| e + 3)];
    let mut section = PathBuf::new();
    // Folders named earlier in the same bullet (`rules/` — `wp.rs`, ...).
    let mut bullet_dirs: Vec<String> = Vec::new();
    let mut missing = Vec::new();
    for line in map.lines() {
        if let Some(heading) = line.strip_prefix("### ") {
            section = PathBuf::from(heading.trim().trim_matches('`'));
            bullet_dirs.clear();
            continue;
        }
        if line.starts_with("- ") || line.trim().is_empty() {
            bullet_dirs.clear();
        }
        for token in line.split('`').skip(1).step_by(2) {
            let path_like = !token.contains(' ')
                && !token.starts_with("target/")
                && !token.contains('<')
                && !token.contains("::")
                && (token.ends_with('/')
                    || [".rs", ".md", ".toml", ".json", ".sh", ".yml"]
                        .iter()
                        .any(|e| token.ends_with(e)));
            if !path_like {
                continue;
            }
            let mut candidates = vec![
                root.join(token),
                root.join(&section).join(token),
                root.join(&section).join("src").join(token),
            ];
            for dir in &bullet_dirs {
                candidates.push(root.join(&section).join(dir).join(token));
                candidates.push(root.join(&section).join("src").join(dir).join(token));
            }
            if !candidates.iter().any(|c| c.exists()) {
                missing.push(format!("{} (under {})", token, section.display()));
            }
            if token.ends_with('/') {
                bullet_dirs.push(token.to_string());
            }
        }
    }
    missing
}

/// Relative links `[text](target)` of README.md, ARCHITECTURE.md and every
/// `.md` under `docs/` whose target does not exist.
fn broken_relative_links(root: &Path) -> Vec<String> {
    let mut docs: Vec<PathBuf> = vec!["README.md".into(), "ARCHITECTURE.md".into()];
    docs.extend(
        files(&root.join("docs"), "md")
            .into_iter()
            .map(|f| Path::new("docs").join(f)),
    );
    let mut broken = Vec::new();
    for doc in docs {
        let text = fs::read_to_string(root.join(&doc)).unwrap_or_default();
        let dir = root
            .join(&doc)
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let mut rest = text.as_str();
        while let Some(i) = rest.find("](") {
            rest = &rest[i + 2..];
            let Some(end) = rest.find(')') else { break };
            let target = rest[..end].split('#').next().unwrap_or("").trim();
            let external = target.is_empty()
                || target.contains("://")
                || target.starts_with("mailto:")
                || target.contains(' ');
            if !external && !dir.join(target).exists() {
                broken.push(format!("{}: {target}", doc.display()));
            }
        }
    }
    broken
}

/// `.rs` files that use `unsafe` (outside `//` comments) and are not on the allowlist.
fn unsafe_outside_allowlist(root: &Path, allowlist: &[(&str, &str)]) -> Vec<String> {
    files(root, "rs")
        .into_iter()
        .filter(|f| {
            let name = f.display().to_string();
            if allowlist.iter().any(|(p, _)| *p == name) {
                return false;
            }
            let text = fs::read_to_string(root.join(f)).unwrap_or_default();
            text.lines().any(|line| {
                let code = line.split("//").next().unwrap_or("");
                code.split(|c: char| !(c.is_alphanumeric() || c == '_'))
                    .any(|word| word == UNSAFE)
            })
        })
        .map(|f| f.display().to_string())
        .collect()
}

fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the repository root")
        .to_path_buf()
}

#[test]
fn every_rust_file_opens_with_a_module_doc_comment() {
    let bad = files_without_module_docs(&repository());
    assert!(bad.is_empty(), "files without a `//!` first line: {bad:#?}");
}

#[test]
fn every_path_of_the_code_map_exists() {
    let missing = code_map_paths_missing(&repository());
    assert!(
        missing.is_empty(),
        "ARCHITECTURE.md names missing paths: {missing:#?}"
    );
}

#[test]
fn relative_links_of_the_docs_resolve() {
    let broken = broken_relative_links(&repository());
    assert!(broken.is_empty(), "broken links: {broken:#?}");
}

#[test]
fn unsafe_appears_only_where_the_allowlist_says_why() {
    let root = repository();
    let bad = unsafe_outside_allowlist(&root, UNSAFE_ALLOWLIST);
    assert!(bad.is_empty(), "`{UNSAFE}` outside the allowlist: {bad:#?}");
    for (path, why) in UNSAFE_ALLOWLIST {
        assert!(root.join(path).exists(), "allowlisted file {path} is gone");
        assert!(!why.is_empty());
    }
}

/// The rules themselves: on a temporary tree that breaks each one, each
/// reports exactly the breakage.
#[test]
fn tidy_rules_catch_what_they_are_for() {
    let root = std::env::temp_dir().join(format!("dopamine-tidy-{}", std::process::id()));
    let _ = fs::remove_dir_all(&root);
    let write = |path: &str, text: &str| {
        let path = root.join(path);
        fs::create_dir_all(path.parent().expect("has a parent")).expect("creates folders");
        fs::write(path, text).expect("writes");
    };
    write("crates/a/src/lib.rs", "//! Documented.\npub fn f() {}\n");
    write("crates/a/src/gone_docs.rs", "pub fn g() {}\n");
    write(
        "crates/a/src/raw.rs",
        &format!(
            "//! Raw.\n// {UNSAFE} in a comment is fine\npub fn h() {{ {UNSAFE} {{ f() }} }}\n"
        ),
    );
    write("target/debug/build.rs", "no docs, but build output\n");
    write(
        "ARCHITECTURE.md",
        "# A\n\n## Code map\n\n### `crates/a`\n\n- `lib.rs` and `missing.rs`, `Type<T>`\n\n## Invariants\n\n- `not/in/the/map.rs`\n",
    );
    write(
        "README.md",
        "[ok](ARCHITECTURE.md) [web](https://example.org) [bad](docs/nope.md#x)\n",
    );
    write(
        "docs/guide.md",
        "[up](../README.md) [figure](figures/f.png)\n",
    );

    assert_eq!(
        files_without_module_docs(&root),
        ["crates/a/src/gone_docs.rs"]
    );
    assert_eq!(
        code_map_paths_missing(&root),
        ["missing.rs (under crates/a)"]
    );
    assert_eq!(
        broken_relative_links(&root),
        ["README.md: docs/nope.md", "docs/guide.md: figures/f.png"]
    );
    assert_eq!(
        unsafe_outside_allowlist(&root, &[]),
        ["crates/a/src/raw.rs"]
    );
    assert!(unsafe_outside_allowlist(&root, &[("crates/a/src/raw.rs", "test")]).is_empty());
    // Restoring the doc comment clears the first rule.
    write("crates/a/src/gone_docs.rs", "//! Back.\npub fn g() {}\n");
    assert!(files_without_module_docs(&root).is_empty());
    let _ = fs::remove_dir_all(&root);
}

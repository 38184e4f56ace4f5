//! Tidy: checks of the repository itself — every `.rs` file opens with `//!`, the code map names only paths that exist and every source file, module folders' `mod.rs` only declare and re-export, no non-test source file is over 600 lines, benchmark ids agree everywhere, README's results are generated from the committed summary, committed results name a clean revision, relative Markdown links resolve, and `unsafe` appears only where the allowlist says why.
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
        "crates/dopamine-nets/src/rnn_lockstep.rs",
        "calls the AVX2 group and lane kernels after a run-time feature check",
    ),
    (
        "crates/dopamine-nets/src/rnn_low_rank.rs",
        "calls the AVX2 low-rank block kernels after a run-time feature check",
    ),
    (
        "crates/dopamine-nets/src/simd_lanes.rs",
        "AVX2 lane-parallel kernels (target_feature functions, unaligned loads within checked slices)",
    ),
    (
        "crates/dopamine-nets/examples/common/timing.rs",
        "reads this thread's CPU time with clock_gettime from the C library std links",
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

/// The most lines a non-test source file may have.
const MAX_LINES: usize = 600;

/// Non-test source files that are over [`MAX_LINES`] today, and why they
/// may be for now. Each belongs to work in flight on another branch (issue
/// #21: one registry per optimizer, one population path, one state format,
/// the nets' kernels); the lead removes an entry when that work lands and
/// the file is split. A listed file that is gone or short again fails the
/// test, so the list only shrinks.
const LONG_FILE_ALLOWLIST: &[(&str, &str)] = &[];

/// Module folders whose `mod.rs` holds code, and why. The rule is that a
/// folder's `mod.rs` only declares its modules and re-exports; these are
/// outside the lab and wait for their owners.
const MOD_RS_ALLOWLIST: &[(&str, &str)] = &[
    (
        "crates/dopamine-core/src/noise/mod.rs",
        "the noise streams' code predates the rule; it moves to its own file with the core's next change",
    ),
    (
        "crates/dopamine-core/src/baseline/mod.rs",
        "the gradient baselines' shared step check predates the rule; it moves with the core's next change",
    ),
    (
        "crates/dopamine-train/src/registry/mod.rs",
        "the registry's one list is a macro call that declares each optimizer's module and writes OptimizerKind and OptimizerSpec from it: a declaration, kept where the modules are",
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

/// One path-like token of the code map: what it says, the crate section
/// it is under, and the paths it may mean (the first that exists is it).
struct MapToken {
    token: String,
    section: PathBuf,
    candidates: Vec<PathBuf>,
}

/// The code map: its crate sections (`### \`crates/x\``) and its path-like tokens.
struct CodeMap {
    sections: Vec<PathBuf>,
    tokens: Vec<MapToken>,
}

/// The path-like backticked tokens of the code map (`## Code map` up to the
/// next `## `), each resolved at the root, under the crate of its section
/// (`### \`crates/x\``) and under its `src/`, and under folders named earlier
/// in the same bullet (`rules/` — `wp.rs`, ...; a sub-bullet continues its
/// bullet). `Err` when there is no map.
fn code_map(root: &Path) -> Result<CodeMap, String> {
    let text = fs::read_to_string(root.join("ARCHITECTURE.md")).unwrap_or_default();
    let Some(start) = text.find("\n## Code map") else {
        return Err("ARCHITECTURE.md has no `## Code map` section".to_string());
    };
    let map = &text[start + 1..];
    let map = &map[..map[3..].find("\n## ").map_or(map.len(), |e| e + 3)];
    let mut section = PathBuf::new();
    // Folders named earlier in the same bullet, as found (nested folders
    // resolve under the folder named before them).
    let mut bullet_dirs: Vec<PathBuf> = Vec::new();
    let mut tokens = Vec::new();
    let mut sections = Vec::new();
    for line in map.lines() {
        if let Some(heading) = line.strip_prefix("### ") {
            section = PathBuf::from(heading.trim().trim_matches('`'));
            sections.push(section.clone());
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
            // Most specific first: the bullet's folders, the crate's `src/`,
            // the crate, the root.
            let mut candidates: Vec<PathBuf> = bullet_dirs
                .iter()
                .rev()
                .map(|dir| dir.join(token))
                .collect();
            candidates.extend([
                root.join(&section).join("src").join(token),
                root.join(&section).join(token),
                root.join(token),
            ]);
            if token.ends_with('/') {
                if let Some(found) = candidates.iter().find(|c| c.is_dir()) {
                    bullet_dirs.push(found.clone());
                }
            }
            tokens.push(MapToken {
                token: token.to_string(),
                section: section.clone(),
                candidates,
            });
        }
    }
    Ok(CodeMap { sections, tokens })
}

/// Tokens of the code map that look like paths and exist nowhere they may mean.
fn code_map_paths_missing(root: &Path) -> Vec<String> {
    match code_map(root) {
        Err(e) => vec![e],
        Ok(map) => map
            .tokens
            .into_iter()
            .filter(|t| !t.candidates.iter().any(|c| c.exists()))
            .map(|t| format!("{} (under {})", t.token, t.section.display()))
            .collect(),
    }
}

/// Whether `path` (relative) lies in a `tests/` folder: integration tests
/// and their helpers, which the Testing section describes where they matter.
fn in_tests_folder(path: &Path) -> bool {
    path.components().any(|c| c.as_os_str() == "tests")
}

/// `.rs` files outside `tests/` folders (sources, examples, benches, build
/// scripts) that the code map does not name: by a token that resolves to
/// the file, by its folder's token for a `mod.rs`, or, for a crate root
/// (`src/lib.rs`, `src/main.rs`), by the heading of its section.
fn source_files_missing_from_the_code_map(root: &Path) -> Vec<String> {
    let Ok(CodeMap { sections, tokens }) = code_map(root) else {
        return vec!["ARCHITECTURE.md has no `## Code map` section".to_string()];
    };
    let named: Vec<PathBuf> = tokens
        .iter()
        .filter_map(|t| t.candidates.iter().find(|c| c.exists()))
        .filter_map(|c| c.strip_prefix(root).ok().map(clean))
        .collect();
    files(root, "rs")
        .into_iter()
        .filter(|f| !in_tests_folder(f))
        .filter(|f| {
            let folder = f.parent().map(Path::to_path_buf).unwrap_or_default();
            let crate_root = sections
                .iter()
                .any(|s| *f == s.join("src/lib.rs") || *f == s.join("src/main.rs"));
            let module_folder =
                f.file_name().is_some_and(|n| n == "mod.rs") && named.contains(&folder);
            !(named.contains(f) || crate_root || module_folder)
        })
        .map(|f| f.display().to_string())
        .collect()
}

/// `path` without `.` components and trailing separators, for comparison.
fn clean(path: &Path) -> PathBuf {
    path.components()
        .filter(|c| !matches!(c, std::path::Component::CurDir))
        .collect()
}

/// `mod.rs` files (outside `tests/` folders) with anything but comments,
/// attributes, `mod` declarations and `use` items (re-exports), each with
/// the first offending line; files on `allowlist` are skipped.
fn mod_rs_doing_more_than_declaring(root: &Path, allowlist: &[(&str, &str)]) -> Vec<String> {
    let mut bad = Vec::new();
    for f in files(root, "rs") {
        let name = f.display().to_string();
        if f.file_name().is_none_or(|n| n != "mod.rs")
            || in_tests_folder(&f)
            || allowlist.iter().any(|(p, _)| *p == name)
        {
            continue;
        }
        let text = fs::read_to_string(root.join(&f)).unwrap_or_default();
        let mut in_item = false;
        for (i, line) in text.lines().enumerate() {
            let code = line.trim();
            if in_item {
                in_item = !code.ends_with(';');
                continue;
            }
            if code.is_empty() || code.starts_with("//") || code.starts_with('#') {
                continue;
            }
            let item = code
                .strip_prefix("pub(crate) ")
                .or_else(|| code.strip_prefix("pub(super) "))
                .or_else(|| code.strip_prefix("pub "))
                .unwrap_or(code);
            let declaration =
                (item.starts_with("mod ") && item.ends_with(';') && !item.contains('{'))
                    || item.starts_with("use ");
            if !declaration {
                bad.push(format!("{name}:{}: {code}", i + 1));
                break;
            }
            in_item = !code.ends_with(';');
        }
    }
    bad
}

/// Non-test `.rs` files (outside `tests/` folders, not a `tests.rs` unit-test
/// module) over `max` lines and not on `allowlist`, and allowlisted files
/// that are gone or no longer over `max` (so the list only shrinks).
fn files_over_the_line_limit(root: &Path, max: usize, allowlist: &[(&str, &str)]) -> Vec<String> {
    let mut bad: Vec<String> = files(root, "rs")
        .into_iter()
        .filter(|f| !in_tests_folder(f) && f.file_name().is_none_or(|n| n != "tests.rs"))
        .filter_map(|f| {
            let name = f.display().to_string();
            let lines = fs::read_to_string(root.join(&f))
                .unwrap_or_default()
                .lines()
                .count();
            (lines > max && !allowlist.iter().any(|(p, _)| *p == name))
                .then(|| format!("{name}: {lines} lines"))
        })
        .collect();
    for (path, _) in allowlist {
        let lines = fs::read_to_string(root.join(path)).map(|t| t.lines().count());
        match lines {
            Err(_) => bad.push(format!(
                "{path}: allowlisted but gone; remove it from the list"
            )),
            Ok(n) if n <= max => bad.push(format!(
                "{path}: allowlisted but {n} lines now; remove it from the list"
            )),
            Ok(_) => {}
        }
    }
    bad
}

/// The benchmark ids (`B7`) a text names, ranges (`B4-B8`, `B4-8`) expanded.
fn benchmark_ids_in(text: &str) -> Vec<u32> {
    let bytes = text.as_bytes();
    // The number at `from` and where it ends.
    let number = |from: usize| {
        let len = text[from..].bytes().take_while(u8::is_ascii_digit).count();
        (text[from..from + len].parse::<u32>().ok(), from + len)
    };
    let word_char = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let mut ids = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let starts_word = i == 0 || !word_char(bytes[i - 1]);
        let (Some(first), mut end) = (if bytes[i] == b'B' && starts_word {
            number(i + 1)
        } else {
            (None, i + 1)
        }) else {
            i += 1;
            continue;
        };
        let mut last = first;
        let rest = &text[end..];
        let dash = if rest.starts_with("-B") {
            2
        } else {
            usize::from(rest.starts_with('-'))
        };
        if dash > 0 {
            if let (Some(to), to_end) = number(end + dash) {
                if to > first {
                    (last, end) = (to, to_end);
                }
            }
        }
        if bytes.get(end).is_none_or(|&b| !word_char(b)) {
            ids.extend(first..=last);
        }
        i = end;
    }
    ids
}

/// Where the benchmark ids disagree with the code's list (`ids`, as
/// `(id, name)` in order; `tested`: ids a test checks instead): a doc that
/// names an id that does not exist, a doc that lists the benchmarks but
/// misses one, or `docs/benchmarks.md` whose sections are not the list's.
fn benchmark_ids_disagreeing(root: &Path, ids: &[(&str, &str)], tested: &[&str]) -> Vec<String> {
    let known: Vec<u32> = ids
        .iter()
        .map(|(id, _)| id)
        .chain(tested)
        .filter_map(|id| id.strip_prefix('B')?.parse().ok())
        .collect();
    let listed: Vec<u32> = ids
        .iter()
        .filter_map(|(id, _)| id.strip_prefix('B')?.parse().ok())
        .collect();
    // Files that list the benchmarks (each names every id), then files that
    // only mention some.
    let listing = [
        "README.md",
        "ARCHITECTURE.md",
        "xtask/src/main.rs",
        "crates/dopamine-bench/src/lib.rs",
        "crates/dopamine-bench/src/benchmarks/mod.rs",
    ];
    let mut mentioning: Vec<String> = files(&root.join("docs"), "md")
        .into_iter()
        .map(|f| format!("docs/{}", f.display()))
        .filter(|f| !f.starts_with("docs/results/"))
        .collect();
    mentioning.push("crates/dopamine-bench/src/benchmarks/findings.md".into());
    let mut bad = Vec::new();
    for (file, must_list) in listing
        .iter()
        .map(|f| (f.to_string(), true))
        .chain(mentioning.into_iter().map(|f| (f, false)))
    {
        let Ok(text) = fs::read_to_string(root.join(&file)) else {
            if must_list {
                bad.push(format!("{file}: missing"));
            }
            continue;
        };
        let named = benchmark_ids_in(&text);
        for id in &named {
            if !known.contains(id) {
                bad.push(format!("{file}: names B{id}, which is not a benchmark"));
            }
        }
        if must_list {
            for id in &listed {
                if !named.contains(id) {
                    bad.push(format!("{file}: does not name B{id}"));
                }
            }
        }
    }
    let doc = fs::read_to_string(root.join("docs/benchmarks.md")).unwrap_or_default();
    let sections: Vec<&str> = doc
        .lines()
        .filter_map(|l| l.strip_prefix("## "))
        .filter(|h| h.starts_with('B') && h[1..].starts_with(|c: char| c.is_ascii_digit()))
        .collect();
    let expected: Vec<String> = ids
        .iter()
        .map(|(id, name)| format!("{id} {name}"))
        .collect();
    if sections != expected {
        bad.push(format!(
            "docs/benchmarks.md: sections {sections:?}, the list has {expected:?} (rerun `cargo xtask bench`)"
        ));
    }
    bad
}

/// README.md when its results block is not what `cargo xtask readme` makes
/// of `docs/results/summary.json`: the reason, or nothing when fresh.
fn stale_readme_results(root: &Path) -> Vec<String> {
    let read = |p: &str| fs::read_to_string(root.join(p)).map_err(|e| format!("{p}: {e}"));
    let check = || -> Result<bool, String> {
        let readme = read("README.md")?;
        let summary = read("docs/results/summary.json")?;
        let fresh =
            dopamine_bench::readme::regenerate(&readme, &summary).map_err(|e| e.to_string())?;
        Ok(fresh == readme)
    };
    match check() {
        Ok(true) => vec![],
        Ok(false) => vec![
            "README.md: the results block is not generated from docs/results/summary.json; run `cargo xtask readme`".to_string(),
        ],
        Err(e) => vec![e],
    }
}

/// Committed results (`docs/`) that record a `-dirty` revision: numbers
/// from code that was never committed.
fn dirty_revisions_in_docs(root: &Path) -> Vec<String> {
    ["md", "json"]
        .iter()
        .flat_map(|ext| files(&root.join("docs"), ext))
        .filter(|f| {
            fs::read_to_string(root.join("docs").join(f))
                .unwrap_or_default()
                .lines()
                .any(|l| {
                    (l.contains("Revision") || l.contains("git_revision")) && l.contains("-dirty")
                })
        })
        .map(|f| format!("docs/{}", f.display()))
        .collect()
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
fn every_source_file_is_in_the_code_map() {
    let missing = source_files_missing_from_the_code_map(&repository());
    assert!(
        missing.is_empty(),
        "ARCHITECTURE.md's code map does not name: {missing:#?}"
    );
}

#[test]
fn module_folders_mod_rs_only_declare_and_reexport() {
    let root = repository();
    let bad = mod_rs_doing_more_than_declaring(&root, MOD_RS_ALLOWLIST);
    assert!(bad.is_empty(), "mod.rs files with code: {bad:#?}");
    for (path, why) in MOD_RS_ALLOWLIST {
        assert!(root.join(path).exists(), "allowlisted file {path} is gone");
        assert!(!why.is_empty());
    }
}

#[test]
fn no_non_test_source_file_is_over_600_lines() {
    let bad = files_over_the_line_limit(&repository(), MAX_LINES, LONG_FILE_ALLOWLIST);
    assert!(bad.is_empty(), "over {MAX_LINES} lines: {bad:#?}");
}

#[test]
fn benchmark_ids_agree_everywhere() {
    let ids: Vec<(&str, &str)> = dopamine_bench::benchmarks::BENCHMARKS
        .iter()
        .map(|b| (b.id(), b.name()))
        .collect();
    let tested: Vec<&str> = dopamine_bench::benchmarks::CHECKED_BY_TESTS
        .iter()
        .map(|(id, _)| *id)
        .collect();
    let root = repository();
    let bad = benchmark_ids_disagreeing(&root, &ids, &tested);
    assert!(bad.is_empty(), "benchmark ids disagree: {bad:#?}");
    for (id, test) in dopamine_bench::benchmarks::CHECKED_BY_TESTS {
        assert!(root.join(test).exists(), "{id}: {test} is gone");
    }
}

#[test]
fn readme_results_are_generated_from_the_committed_summary() {
    let stale = stale_readme_results(&repository());
    assert!(stale.is_empty(), "{stale:#?}");
}

#[test]
fn committed_results_name_a_clean_revision() {
    let dirty = dirty_revisions_in_docs(&repository());
    assert!(
        dirty.is_empty(),
        "results from uncommitted code (commit, then rerun): {dirty:#?}"
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

    // The code map must name every source file: `lib.rs` by its section,
    // `raw.rs` not at all; a test file needs no entry.
    write("crates/a/tests/t.rs", "//! A test.\n");
    assert_eq!(
        source_files_missing_from_the_code_map(&root),
        ["crates/a/src/gone_docs.rs", "crates/a/src/raw.rs"]
    );

    // A module folder's `mod.rs`: declarations and re-exports pass, code does not.
    write(
        "crates/a/src/m/mod.rs",
        "//! A folder.\n\nmod x;\n#[cfg(test)]\nmod tests;\n\npub use x::{\n    A,\n    B,\n};\n",
    );
    assert!(mod_rs_doing_more_than_declaring(&root, &[]).is_empty());
    write(
        "crates/a/src/n/mod.rs",
        "//! Code.\n\nmod x;\n\npub fn f() {}\n",
    );
    write("crates/a/tests/common/mod.rs", "pub fn helper() {}\n");
    assert_eq!(
        mod_rs_doing_more_than_declaring(&root, &[]),
        ["crates/a/src/n/mod.rs:5: pub fn f() {}"]
    );
    assert!(mod_rs_doing_more_than_declaring(&root, &[("crates/a/src/n/mod.rs", "t")]).is_empty());

    // The line limit, its allowlist, and an allowlist entry that is short now.
    write("crates/a/src/long.rs", &"//! Long.\n".repeat(12));
    write("crates/a/src/tests.rs", &"// unit tests\n".repeat(50));
    assert_eq!(
        files_over_the_line_limit(&root, 10, &[("crates/a/src/lib.rs", "t")]),
        [
            "crates/a/src/long.rs: 12 lines",
            "crates/a/src/lib.rs: allowlisted but 2 lines now; remove it from the list"
        ]
    );

    // Benchmark ids: a range, a test-only id, an unknown id, a list that
    // misses one, and sections that are not the list's.
    assert_eq!(
        benchmark_ids_in("B1, B2, B4-B6 and B8; not 0xB9 or B7x"),
        [1, 2, 4, 5, 6, 8]
    );
    write("README.md", "benchmarks (B1-B3)\n");
    write("ARCHITECTURE.md", "B1, B2 and B9\n");
    write("xtask/src/main.rs", "//! B1-B2\n");
    write("crates/dopamine-bench/src/lib.rs", "//! B1, B2\n");
    write(
        "crates/dopamine-bench/src/benchmarks/mod.rs",
        "//! B1, B2\n",
    );
    write("docs/benchmarks.md", "## B1 kernels\n\n## B2 wrong name\n");
    write(
        "crates/dopamine-bench/src/benchmarks/findings.md",
        "B3 is a test\n",
    );
    assert_eq!(
        benchmark_ids_disagreeing(&root, &[("B1", "kernels"), ("B2", "step")], &["B3"]),
        [
            "ARCHITECTURE.md: names B9, which is not a benchmark",
            "docs/benchmarks.md: sections [\"B1 kernels\", \"B2 wrong name\"], the list has [\"B1 kernels\", \"B2 step\"] (rerun `cargo xtask bench`)"
        ]
    );
    write("docs/benchmarks.md", "## B1 kernels\n\n## B2 step\n");
    write("xtask/src/main.rs", "//! B1 only\n");
    assert_eq!(
        benchmark_ids_disagreeing(&root, &[("B1", "kernels"), ("B2", "step")], &["B3"]),
        [
            "ARCHITECTURE.md: names B9, which is not a benchmark",
            "xtask/src/main.rs: does not name B2"
        ]
    );

    // README's results block against the committed summary.
    let summary = fs::read_to_string(repository().join("docs/results/summary.json"))
        .expect("the repository's summary");
    write("docs/results/summary.json", &summary);
    let begin = dopamine_bench::readme::BEGIN;
    let end = dopamine_bench::readme::END;
    write(
        "README.md",
        &format!("# R\n\n{begin}\nC1 holds (made up)\n{end}\n"),
    );
    assert_eq!(stale_readme_results(&root).len(), 1);
    let readme = fs::read_to_string(root.join("README.md")).expect("reads");
    let fresh = dopamine_bench::readme::regenerate(&readme, &summary).expect("regenerates");
    write("README.md", &fresh);
    assert!(stale_readme_results(&root).is_empty());

    // A dirty revision in committed results.
    write("docs/benchmarks.md", "- Revision: abc1234-dirty\n");
    write("docs/results/report.md", "- Revision: abc1234\n");
    assert_eq!(dirty_revisions_in_docs(&root), ["docs/benchmarks.md"]);
    let _ = fs::remove_dir_all(&root);
}

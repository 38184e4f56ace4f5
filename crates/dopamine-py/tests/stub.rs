//! The registry as the Python bindings offer it: every entry of the optimizer registry has a class (each of its settings and options a keyword argument, each of its state views a property) or a reason for having none, and the type stubs `dopamine_py.pyi` are fresh: below their marker, exactly what this test writes from the registry.
//!
//! The stubs change whenever an entry, a setting or its doc comment does.
//! Regenerate them with
//!
//! ```sh
//! DOPAMINE_BLESS=1 cargo test --release -p dopamine-py --test stub
//! ```
//!
//! and commit them with the change. The part above the marker (the base
//! classes, `StepReport`, the aliases) is written by hand. The pytest suite
//! (`test_registry.py`) builds, trains and pickles every class at run time.

#[path = "../src/catalog.rs"]
#[allow(
    dead_code,
    reason = "the extension module's own module, which uses what the test does not"
)]
mod catalog;

use std::path::PathBuf;

use catalog::{
    Catalog, ClassSpec, Described, Interface, PyType, Source, describe, plain, python_name, wrap,
};
use dopamine_train::registry::{
    Allowed, BuildContext, EntryVisitor, Family, OptimizerEntry, Python, Sink, SpecOptions,
    ViewKind, field_names,
};
use dopamine_train::{Float, OptimizerKind, OptimizerSpec, SpecError, TrainError};
use serde_json::Value;

const REGENERATE: &str = "DOPAMINE_BLESS=1 cargo test --release -p dopamine-py --test stub";

/// The line of `dopamine_py.pyi` below which the stubs are generated.
const MARKER: &str = "# ---- Generated from the optimizer registry by tests/stub.rs \
     (DOPAMINE_BLESS=1 cargo test -p dopamine-py --test stub): edit the registry, not this part. ----";

fn stub_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("dopamine_py.pyi")
}

/// A default as a Python literal (`None`, `True`, `0.001`, `"gaussian"`).
fn python_literal(value: &Value) -> String {
    match value {
        Value::Null => "None".into(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Number(n) => match (n.as_u64(), n.as_i64(), n.as_f64()) {
            (Some(u), _, _) => u.to_string(),
            (None, Some(i), _) => i.to_string(),
            (None, None, Some(f)) => format!("{f:?}"),
            _ => n.to_string(),
        },
        Value::String(s) => format!("\"{s}\""),
        other => other.to_string(),
    }
}

/// A keyword argument's annotation.
fn annotation(ty: &PyType) -> String {
    match ty {
        PyType::Float => "float".into(),
        PyType::Int => "int".into(),
        PyType::Bool => "bool".into(),
        PyType::Choice(values) => {
            let quoted: Vec<String> = values.iter().map(|v| format!("\"{v}\"")).collect();
            format!("Literal[{}]", quoted.join(", "))
        }
        PyType::Optional(inner) => format!("Optional[{}]", annotation(inner)),
        PyType::Layout => "Optional[Sequence[Block]]".into(),
        PyType::Dtype => "Optional[DTypeLike]".into(),
    }
}

/// A state view's annotation.
fn view_annotation(kind: ViewKind) -> &'static str {
    match kind {
        ViewKind::Number => "float",
        ViewKind::Count => "int",
        ViewKind::Vector => "Array",
        ViewKind::VectorPair => "Tuple[Array, Array]",
    }
}

/// `text` (already wrapped) as a docstring indented by `indent` spaces.
fn docstring(text: &str, indent: usize) -> String {
    let pad = " ".repeat(indent);
    let body: Vec<String> = text
        .lines()
        .map(|l| {
            if l.is_empty() {
                String::new()
            } else {
                format!("{pad}{l}")
            }
        })
        .collect();
    format!("{pad}\"\"\"{}\n{pad}\"\"\"\n", body.join("\n").trim_start())
}

/// The stub of one class.
fn class_stub(class: &ClassSpec) -> String {
    let mut s = format!("class {}({}):\n", class.name, class.interface.base());
    s.push_str(&docstring(&class.docstring(), 4));
    s.push('\n');
    s.push_str("    kind: ClassVar[str]\n");
    s.push_str(&docstring(
        &format!(
            "The config's `kind` of this optimizer: `\"{}\"`.",
            class.kind.tag()
        ),
        4,
    ));
    s.push_str("    def __init__(\n        self,\n");
    for (i, p) in class.params.iter().enumerate() {
        if i == 1 {
            s.push_str("        *,\n");
        }
        match &p.default {
            Some(d) => s.push_str(&format!(
                "        {}: {} = {},\n",
                p.name,
                annotation(&p.ty),
                python_literal(d)
            )),
            None => s.push_str(&format!("        {}: {},\n", p.name, annotation(&p.ty))),
        }
    }
    s.push_str("    ) -> None: ...\n");
    for view in class.views {
        s.push_str("    @property\n");
        s.push_str(&format!(
            "    def {}(self) -> {}:\n",
            python_name(view.name),
            view_annotation(view.kind)
        ));
        s.push_str(&docstring(&wrap(&plain(view.doc)), 8));
    }
    s
}

/// What the stubs say of `OPTIMIZERS`: its keys and every entry.
fn optimizers_doc(catalog: &Catalog) -> String {
    let mut doc = String::from(
        "Every optimizer of the registry, in its order: a dict with `kind` (a config's tag), `name` (as reports print it), `family` (\"perturbation\", \"evolution strategy\" or \"gradient\"), `class` (its class, or None), `excluded` (why it has no class, or None) and `renamed` (old setting names and their new names).\n",
    );
    for kind in OptimizerKind::ALL {
        match catalog.class(kind) {
            Some(class) => doc.push_str(&format!(
                "\n- {}: `{}`, a {}.",
                kind.name(),
                class.name,
                match class.interface {
                    Interface::Perturbation => "perturbation optimizer",
                    Interface::Population => "population method",
                    Interface::Gradient => "gradient method",
                }
            )),
            None => {
                let reason = catalog.excluded.iter().find(|e| e.kind == kind);
                doc.push_str(&format!(
                    "\n- {}: no class: {}",
                    kind.name(),
                    reason.map_or("", |e| e.reason)
                ));
            }
        }
    }
    wrap(&doc)
}

/// The stubs: the hand-written part of `current` (everything above
/// [`MARKER`], or all of it when it has none), then every class and
/// `OPTIMIZERS`.
fn stubs(current: &str, catalog: &Catalog) -> String {
    let head = current.find(MARKER).map_or(current, |i| &current[..i]);
    let mut s = format!("{}\n\n{MARKER}\n\n", head.trim_end());
    for class in &catalog.classes {
        s.push_str(&class_stub(class));
        s.push('\n');
    }
    s.push_str("OPTIMIZERS: Final[list[dict[str, Any]]]\n");
    s.push_str(&docstring(&optimizers_doc(catalog), 0));
    s
}

#[test]
fn stubs_are_fresh() {
    let catalog = Catalog::from_registry().expect("the registry's classes");
    let path = stub_path();
    let current = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let fresh = stubs(&current, &catalog);
    if std::env::var_os("DOPAMINE_BLESS").is_some_and(|v| v == "1") {
        std::fs::write(&path, &fresh).unwrap();
        eprintln!("wrote {}", path.display());
        return;
    }
    assert!(
        current.contains(MARKER),
        "{} has no generated part; write it with\n    {REGENERATE}",
        path.display()
    );
    if current != fresh {
        let line = current
            .lines()
            .zip(fresh.lines())
            .position(|(a, b)| a != b)
            .map_or_else(|| "the length".to_string(), |i| format!("line {}", i + 1));
        panic!(
            "{} is stale (it differs from what the registry gives at {line}).\n\
             Regenerate it with\n    {REGENERATE}\nand commit it.",
            path.display()
        );
    }
}

/// What an entry says of Python, its settings' names and its options.
struct Declared;

impl EntryVisitor for Declared {
    type Output = (Python, &'static [&'static str], Allowed);

    fn visit<E: OptimizerEntry>(self) -> Self::Output
    where
        OptimizerSpec: From<E>,
    {
        (E::PYTHON, field_names::<E>(), E::OPTIONS)
    }
}

#[test]
fn every_entry_is_a_class_or_excluded_with_a_reason() {
    let catalog = Catalog::from_registry().expect("the registry's classes");
    assert_eq!(
        catalog.classes.len() + catalog.excluded.len(),
        OptimizerKind::ALL.len()
    );
    let mut names = std::collections::BTreeSet::new();
    for kind in OptimizerKind::ALL {
        let (python, fields, options) = kind.visit(Declared);
        match python {
            Python::Class(name) => {
                let class = catalog.class(kind).expect("a class");
                assert_eq!(class.name, name);
                assert!(
                    names.insert(name),
                    "two entries are called {name} in Python"
                );
                assert!(
                    name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                        && name.starts_with(|c: char| c.is_ascii_uppercase()),
                    "{name} is not a class name"
                );
                assert!(!class.summary.is_empty(), "{name}: no summary");
                // Every setting and every option the entry may take is a
                // keyword argument, with its doc comment.
                for field in fields {
                    let p = class
                        .param(&python_name(field))
                        .unwrap_or_else(|| panic!("{name}: no keyword for `{field}`"));
                    assert_eq!((p.field, p.source), (*field, Source::Setting), "{name}");
                    assert!(!p.doc.is_empty(), "{name}: `{field}` has no doc comment");
                }
                // Every option it may take, but those that act through the
                // trainer's objective (the bindings have none).
                for option in field_names::<SpecOptions>() {
                    assert_eq!(
                        class
                            .param(option)
                            .is_some_and(|p| p.source == Source::Option),
                        options.allows(option) && !SpecOptions::THROUGH_OBJECTIVE.contains(option),
                        "{name}: option `{option}`"
                    );
                }
                assert_eq!(
                    class.params.iter().any(|p| p.source == Source::Layout),
                    options.rank,
                    "{name}: a layout where low-rank probes are an option"
                );
                for view in class.views {
                    assert!(
                        !view.doc.is_empty(),
                        "{name}: view {} has no doc",
                        view.name
                    );
                }
            }
            Python::Excluded(reason) => {
                assert!(catalog.class(kind).is_none());
                assert!(
                    reason.len() > 10,
                    "{kind}: an exclusion says why (got {reason:?})"
                );
            }
        }
    }
}

#[test]
fn docstrings_are_plain_wrapped_text() {
    assert_eq!(
        plain("the layout\n([`crate::Objective::param_layout`]); and [`x`](y) or `z`."),
        "the layout (`crate::Objective::param_layout`); and `x` or `z`."
    );
    assert_eq!(python_name("lambda"), "lambda_");
    assert_eq!(python_name("sigma"), "sigma");
    let catalog = Catalog::from_registry().expect("the registry's classes");
    for class in &catalog.classes {
        let doc = class.docstring();
        assert!(!doc.contains("[`"), "{}: {doc}", class.name);
        for line in doc.lines() {
            assert!(
                line.len() <= 76 || !line.trim().contains(' '),
                "{}: {line}",
                class.name
            );
        }
    }
    assert_eq!(python_literal(&serde_json::json!(1e-12)), "1e-12");
    assert_eq!(python_literal(&serde_json::json!(0.001)), "0.001");
    assert_eq!(python_literal(&serde_json::json!(0.0)), "0.0");
    assert_eq!(python_literal(&serde_json::json!(4)), "4");
    assert_eq!(python_literal(&serde_json::json!(null)), "None");
}

/// An entry without a Python class, as an optimizer that needs the model
/// itself (its neurons) declares itself: the registry has none yet, so the
/// test brings its own.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Default,
    serde::Serialize,
    serde::Deserialize,
    schemars::JsonSchema,
)]
struct NeedsTheModel {
    /// A rate.
    rate: f64,
}

const NEEDS_THE_MODEL: &str = "it perturbs the model's neurons, not a flat parameter vector";

impl OptimizerEntry for NeedsTheModel {
    const NAME: &'static str = "Needs-the-model";
    const KIND: &'static str = "needs_the_model";
    const FAMILY: Family = Family::Perturbation;
    const PYTHON: Python = Python::Excluded(NEEDS_THE_MODEL);

    fn describe(&self) -> String {
        format!("rate={}", self.rate)
    }
    fn rate(&self) -> f64 {
        self.rate
    }
    fn set_rate(&mut self, rate: f64) {
        self.rate = rate;
    }
    fn passes_per_step(&self, _: &SpecOptions) -> u64 {
        1
    }
    fn check_options(&self, _: &SpecOptions) -> Result<(), SpecError> {
        Ok(())
    }
    fn build_into<T: Float, S: Sink<T>>(
        &self,
        _: &BuildContext<'_>,
        _: S,
    ) -> Result<S::Output, TrainError> {
        panic!("an excluded entry is never built for Python")
    }
}

#[test]
fn an_entry_without_a_class_is_listed_with_its_reason_and_gets_no_stub() {
    // The registry as it would be with SGD's entry excluded.
    let registry = Catalog::from_registry().expect("the registry's classes");
    let mut catalog = Catalog {
        classes: Vec::new(),
        excluded: Vec::new(),
    };
    for kind in OptimizerKind::ALL {
        let described = if kind == OptimizerKind::Sgd {
            describe::<NeedsTheModel>(kind).expect("an exclusion")
        } else if let Some(class) = registry.class(kind) {
            Described::Class(class.clone())
        } else {
            let excluded = registry.excluded.iter().find(|e| e.kind == kind);
            Described::Excluded(excluded.expect("a class or an exclusion").reason)
        };
        catalog.add(kind, described);
    }
    assert!(catalog.class(OptimizerKind::Sgd).is_none());
    assert_eq!(catalog.excluded.len(), registry.excluded.len() + 1);
    assert!(
        catalog
            .excluded
            .iter()
            .any(|e| (e.kind, e.reason) == (OptimizerKind::Sgd, NEEDS_THE_MODEL))
    );
    let current = std::fs::read_to_string(stub_path()).unwrap();
    let stubs = stubs(&current, &catalog);
    assert!(
        !stubs.contains("class SGD("),
        "an excluded entry has no class stub"
    );
    assert!(stubs.contains("class Adam("));
    let listed = stubs.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        listed.contains(&format!("- SGD: no class: {NEEDS_THE_MODEL}")),
        "OPTIMIZERS's stub names the excluded entry and why"
    );
}

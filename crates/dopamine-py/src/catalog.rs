//! The Python classes the registry's list gives: for every entry, its class name, base (the interface of the optimizer it builds), keyword arguments (name, type, default, documentation) and state properties, or the reason it has none.
//!
//! Everything here is read from the registry: the entry's constants
//! (`PYTHON`, `OPTIONS`, `RENAMED`), its settings struct's schema (types,
//! doc comments) and declaration order, its default settings, and one build
//! of it with the default settings (which says whether it is a perturbation
//! optimizer, another population method or a gradient method, and which
//! state views it has). Pure Rust, no Python: the extension module builds
//! its classes from it at import, and `tests/stub.rs` writes the type stubs
//! from it.

use dopamine_core::PerturbationOptimizer;
use dopamine_train::registry::{
    BuildContext, BuiltOptimizer, BuiltRule, EntryVisitor, Family, OptimizerEntry, Python, Sink,
    StateViews, ViewInfo, field_names, schema,
};
use dopamine_train::{OptimizerKind, OptimizerSpec, SpecOptions};
use serde_json::Value;

/// Python's reserved words: a setting with one of these names is spelt
/// with a trailing `_` in Python (PEP 8), e.g. Dopamine-2's `lambda` is
/// `lambda_`.
const PYTHON_KEYWORDS: &[&str] = &[
    "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue",
    "def", "del", "elif", "else", "except", "finally", "for", "from", "global", "if", "import",
    "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try", "while",
    "with", "yield",
];

/// The Python spelling of a setting's or a view's name.
pub fn python_name(name: &str) -> String {
    if PYTHON_KEYWORDS.contains(&name) {
        format!("{name}_")
    } else {
        name.to_string()
    }
}

/// Which interface a class has: that of the optimizer its entry builds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interface {
    /// A perturbation optimizer: population `ask`/`tell`, one-point
    /// `ask_one`/`tell_one`, `step(params, loss_fn)`.
    Perturbation,
    /// Another population method: `ask`/`tell` and `step(params, loss_fn)`.
    Population,
    /// A gradient method: `step(params, grad, loss)`.
    Gradient,
}

impl Interface {
    /// The Python base class.
    pub fn base(self) -> &'static str {
        match self {
            Interface::Perturbation => "PerturbationOptimizer",
            Interface::Population => "PopulationOptimizer",
            Interface::Gradient => "GradientOptimizer",
        }
    }

    /// What the class's docstring says of its interface.
    fn about(self) -> &'static str {
        match self {
            Interface::Perturbation => {
                "A perturbation optimizer: population `ask`/`tell`, one-point `ask_one`/`tell_one` and `step(params, loss_fn)` (see `PerturbationOptimizer`)."
            }
            Interface::Population => {
                "A population method: `ask`/`tell` and `step(params, loss_fn)` (see `PopulationOptimizer`); it has no one-point interface."
            }
            Interface::Gradient => {
                "A gradient method: `step(params, grad, loss)` updates `params` in place from your gradient (see `GradientOptimizer`)."
            }
        }
    }
}

/// Where a keyword argument goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// `n_params`: the number of parameters.
    NParams,
    /// `layout`: the parameters' blocks (for low-rank probes).
    Layout,
    /// `seed`: the noise streams' seed.
    Seed,
    /// `dtype`: float32 or float64.
    Dtype,
    /// A field of the entry's settings struct.
    Setting,
    /// A field of `SpecOptions` (a config's `options` table).
    Option,
}

/// A keyword argument's Python type.
#[derive(Debug, Clone, PartialEq)]
pub enum PyType {
    /// `float`.
    Float,
    /// `int`.
    Int,
    /// `bool`.
    Bool,
    /// One of these strings.
    Choice(Vec<String>),
    /// `None` or the inner type.
    Optional(Box<PyType>),
    /// A list of blocks (`Optional[Sequence[Block]]`).
    Layout,
    /// A dtype (`Optional[DTypeLike]`).
    Dtype,
}

impl PyType {
    /// `true` for `bool` (strictly checked: configs take only `true` and
    /// `false`, so Python takes only `True` and `False`).
    pub fn is_bool(&self) -> bool {
        match self {
            PyType::Bool => true,
            PyType::Optional(inner) => inner.is_bool(),
            _ => false,
        }
    }
}

/// One keyword argument of a class.
#[derive(Debug, Clone, PartialEq)]
pub struct Param {
    /// The Python name (`lambda_` for the setting `lambda`).
    pub name: String,
    /// The setting's or option's name in a config (or the binding's own
    /// name for `n_params`, `layout`, `seed`, `dtype`).
    pub field: &'static str,
    /// Where it goes.
    pub source: Source,
    /// Its type.
    pub ty: PyType,
    /// Its default, as the config form writes it; `None`: required.
    pub default: Option<Value>,
    /// What it is (the setting's doc comment, in one paragraph).
    pub doc: String,
}

/// A class the registry gives.
#[derive(Debug, Clone, PartialEq)]
pub struct ClassSpec {
    /// The entry.
    pub kind: OptimizerKind,
    /// The class name.
    pub name: &'static str,
    /// Its interface (and base class).
    pub interface: Interface,
    /// What the optimizer does (the first paragraph of its settings
    /// struct's doc comment).
    pub summary: String,
    /// The keyword arguments, in order: `n_params` (positional too), then
    /// keyword-only `layout`, the settings, the options, `seed`, `dtype`.
    pub params: Vec<Param>,
    /// The state views (each a read-only property).
    pub views: &'static [ViewInfo],
    /// Setting names refused with their new names.
    pub renamed: &'static [(&'static str, &'static str)],
}

/// An entry without a class.
#[derive(Debug, Clone, PartialEq)]
pub struct Excluded {
    /// The entry.
    pub kind: OptimizerKind,
    /// Why it has no class.
    pub reason: &'static str,
}

/// Every entry of the registry, as a class or an exclusion, in the
/// registry's order.
#[derive(Debug, Clone, PartialEq)]
pub struct Catalog {
    /// The classes.
    pub classes: Vec<ClassSpec>,
    /// The entries without a class.
    pub excluded: Vec<Excluded>,
}

impl Catalog {
    /// The registry's classes; `Err` names an entry the bindings cannot
    /// offer (a class whose optimizer has no Python interface, or a
    /// setting of a type Python cannot take).
    pub fn from_registry() -> Result<Catalog, String> {
        let mut catalog = Catalog {
            classes: Vec::new(),
            excluded: Vec::new(),
        };
        for kind in OptimizerKind::ALL {
            catalog.add(kind, kind.visit(Describe { kind })?);
        }
        Ok(catalog)
    }

    /// Adds `kind`, described, as a class or an exclusion.
    pub fn add(&mut self, kind: OptimizerKind, described: Described) {
        match described {
            Described::Class(class) => self.classes.push(class),
            Described::Excluded(reason) => self.excluded.push(Excluded { kind, reason }),
        }
    }

    /// The class of `kind`, if it has one.
    pub fn class(&self, kind: OptimizerKind) -> Option<&ClassSpec> {
        self.classes.iter().find(|c| c.kind == kind)
    }
}

impl ClassSpec {
    /// The keyword argument called `name` in Python.
    pub fn param(&self, name: &str) -> Option<&Param> {
        self.params.iter().find(|p| p.name == name)
    }

    /// The class's docstring, wrapped: what the optimizer does, its
    /// interface, every keyword argument, and the renamed ones.
    pub fn docstring(&self) -> String {
        let mut doc = format!("{}\n\n{}\n\n", self.summary, self.interface.about());
        doc.push_str(&format!(
            "Keyword arguments (keyword-only except `n_params`): the settings and options of a config's `{}` optimizer, under the same names.\n",
            self.kind.tag()
        ));
        for p in &self.params {
            doc.push_str(&format!("\n- {}: {}", p.name, p.doc));
        }
        if !self.renamed.is_empty() {
            let renamed: Vec<String> = self
                .renamed
                .iter()
                .map(|(old, new)| format!("`{old}` -> `{new}`"))
                .collect();
            doc.push_str(&format!(
                "\n\nRenamed since 0.2.0 (the old names are refused, naming the new ones): {}.",
                renamed.join(", ")
            ));
        }
        wrap(&doc)
    }
}

/// An entry, described: its class, or why it has none.
#[derive(Debug, Clone, PartialEq)]
pub enum Described {
    /// The entry's class.
    Class(ClassSpec),
    /// The reason it has none (its `Python::Excluded`).
    Excluded(&'static str),
}

/// The class of the entry whose settings struct is `E`, listed under
/// `kind`, or why it has none. An excluded entry is not built or read
/// further: it needs nothing the bindings can drive.
pub fn describe<E: OptimizerEntry>(kind: OptimizerKind) -> Result<Described, String> {
    let name = match E::PYTHON {
        Python::Excluded(reason) => return Ok(Described::Excluded(reason)),
        Python::Class(name) => name,
    };
    let (interface, views) = probe::<E>()?;
    let settings = schema::<E>();
    let defaults = serde_json::to_value(E::default()).map_err(|e| e.to_string())?;
    let summary = first_paragraph(settings["description"].as_str().unwrap_or_default());
    let mut params = vec![n_params(E::OPTIONS.rank)];
    if E::OPTIONS.rank {
        params.push(own(
            "layout",
            Source::Layout,
            PyType::Layout,
            Value::Null,
            LAYOUT_DOC,
        ));
    }
    for field in field_names::<E>() {
        params.push(read_param(field, Source::Setting, &settings, &defaults)?);
    }
    let options = schema::<SpecOptions>();
    let option_defaults =
        serde_json::to_value(SpecOptions::default()).map_err(|e| e.to_string())?;
    for field in field_names::<SpecOptions>() {
        if E::OPTIONS.allows(field) && !SpecOptions::THROUGH_OBJECTIVE.contains(field) {
            let mut p = read_param(field, Source::Option, &options, &option_defaults)?;
            p.doc
                .push_str(" (An option: in a config, a field of `options`.)");
            params.push(p);
        }
    }
    if interface != Interface::Gradient {
        params.push(own(
            "seed",
            Source::Seed,
            PyType::Int,
            Value::from(0),
            SEED_DOC,
        ));
    }
    params.push(own(
        "dtype",
        Source::Dtype,
        PyType::Dtype,
        Value::Null,
        DTYPE_DOC,
    ));
    for p in &params {
        if params.iter().filter(|q| q.name == p.name).count() > 1 {
            return Err(format!(
                "{}: two keyword arguments are called `{}`",
                E::NAME,
                p.name
            ));
        }
    }
    Ok(Described::Class(ClassSpec {
        kind,
        name,
        interface,
        summary,
        params,
        views,
        renamed: E::RENAMED,
    }))
}

/// Reads one entry's class from its settings type.
struct Describe {
    kind: OptimizerKind,
}

impl EntryVisitor for Describe {
    type Output = Result<Described, String>;

    fn visit<E: OptimizerEntry>(self) -> Result<Described, String>
    where
        OptimizerSpec: From<E>,
    {
        describe::<E>(self.kind)
    }
}

const N_PARAMS_DOC: &str = "Number of parameters.";
const N_PARAMS_LAYOUT_DOC: &str =
    "Number of parameters (optional with `layout`: the sum of its blocks).";
const LAYOUT_DOC: &str = "The parameters as blocks, in order: an int is a vector of that length, `(m, n)` an `m x n` matrix stored in C order (as numpy and torch store it). Needed for `rank`; `None`: one flat vector.";
const SEED_DOC: &str = "Seed of every noise stream, in [0, 2**64).";
const DTYPE_DOC: &str = "The parameters' dtype and the optimizer's arithmetic: numpy.float64 (`None`, the default) or numpy.float32.";

/// `n_params`: required, unless the class also takes a layout.
fn n_params(with_layout: bool) -> Param {
    let (default, doc) = if with_layout {
        (Some(Value::Null), N_PARAMS_LAYOUT_DOC)
    } else {
        (None, N_PARAMS_DOC)
    };
    Param {
        name: "n_params".into(),
        field: "n_params",
        source: Source::NParams,
        ty: if with_layout {
            PyType::Optional(Box::new(PyType::Int))
        } else {
            PyType::Int
        },
        default,
        doc: doc.into(),
    }
}

/// One of the binding's own keyword arguments.
fn own(field: &'static str, source: Source, ty: PyType, default: Value, doc: &str) -> Param {
    Param {
        name: field.into(),
        field,
        source,
        ty,
        default: Some(default),
        doc: doc.into(),
    }
}

/// The keyword argument of `field` from a struct's schema and defaults.
fn read_param(
    field: &'static str,
    source: Source,
    schema: &Value,
    defaults: &Value,
) -> Result<Param, String> {
    let property = &schema["properties"][field];
    let ty = py_type(property, schema)
        .ok_or_else(|| format!("setting `{field}` has a type Python cannot take: {property}"))?;
    Ok(Param {
        name: python_name(field),
        field,
        source,
        ty,
        default: Some(defaults.get(field).cloned().unwrap_or(Value::Null)),
        doc: plain(property["description"].as_str().unwrap_or_default()),
    })
}

/// The Python type of a schema property (`$ref`s resolved in `root`).
fn py_type(property: &Value, root: &Value) -> Option<PyType> {
    if let Some(reference) = property["$ref"].as_str() {
        let name = reference.strip_prefix("#/$defs/")?;
        return py_type(&root["$defs"][name], root);
    }
    if let Some(choices) = property["oneOf"].as_array().or(property["enum"].as_array()) {
        let values = choices
            .iter()
            .map(|c| c["const"].as_str().or(c.as_str()).map(str::to_string))
            .collect::<Option<Vec<_>>>()?;
        return Some(PyType::Choice(values));
    }
    let simple = |t: &str| match t {
        "number" => Some(PyType::Float),
        "integer" => Some(PyType::Int),
        "boolean" => Some(PyType::Bool),
        _ => None,
    };
    match &property["type"] {
        Value::String(t) => simple(t),
        Value::Array(types) => match types.as_slice() {
            [Value::String(t), Value::String(null)] if null == "null" => {
                simple(t).map(|t| PyType::Optional(Box::new(t)))
            }
            _ => None,
        },
        _ => None,
    }
}

/// The first paragraph of a doc comment, on one line.
fn first_paragraph(doc: &str) -> String {
    plain(doc.split("\n\n").next().unwrap_or_default())
}

/// A doc comment as plain text on one line: rustdoc links
/// (``[`x`](target)``, ``[`x`]``) become `` `x` ``.
pub fn plain(doc: &str) -> String {
    let mut text = doc.split_whitespace().collect::<Vec<_>>().join(" ");
    while let Some(start) = text.find("[`") {
        let Some(end) = text[start..].find("`]").map(|e| start + e) else {
            break;
        };
        let inner = text[start + 1..end + 1].to_string();
        let mut tail = end + 2;
        if text[tail..].starts_with('(') {
            if let Some(close) = text[tail..].find(')') {
                tail += close + 1;
            }
        }
        text.replace_range(start..tail, &inner);
    }
    text
}

/// Builds `E` with its default settings, for 2 parameters in `f64`, and
/// says which interface and views the optimizer it builds has.
fn probe<E: OptimizerEntry>() -> Result<(Interface, &'static [ViewInfo]), String> {
    let options = SpecOptions::default();
    let ctx = BuildContext {
        options: &options,
        layout: None,
        dim: 2,
        seed: 0,
        total_steps: 1,
    };
    E::default()
        .build_into::<f64, _>(&ctx, Probe { family: E::FAMILY })
        .map_err(|e| format!("{}: its default settings do not build: {e}", E::NAME))?
        .map_err(|why| format!("{}: {why}", E::NAME))
}

/// The sink of [`probe`].
struct Probe {
    family: Family,
}

impl Sink<f64> for Probe {
    type Output = Result<(Interface, &'static [ViewInfo]), String>;
    type Vector = Vec<f64>;

    fn zeros(&self, n: usize) -> Vec<f64> {
        vec![0.0; n]
    }

    fn perturbation<R: BuiltRule<f64>>(self, _: PerturbationOptimizer<f64, R>) -> Self::Output {
        Ok((Interface::Perturbation, <R as StateViews<f64>>::VIEWS))
    }

    fn optimizer<O: BuiltOptimizer<f64>>(self, mut optimizer: O) -> Self::Output {
        let views = <O as StateViews<f64>>::VIEWS;
        if optimizer.population().is_some() {
            Ok((Interface::Population, views))
        } else if self.family == Family::Gradient {
            Ok((Interface::Gradient, views))
        } else {
            Err("it builds an optimizer with neither a population step nor a gradient step, which the bindings cannot drive; exclude it (`Python::Excluded`)".into())
        }
    }
}

/// The width docstrings are wrapped to.
const WIDTH: usize = 76;

/// `text` wrapped to [`WIDTH`] columns: paragraphs are separated by blank
/// lines, a line starting with `- ` is a bullet whose continuation lines
/// are indented by two spaces.
pub fn wrap(text: &str) -> String {
    let mut out = Vec::new();
    for line in text.lines() {
        if line.trim().is_empty() {
            out.push(String::new());
            continue;
        }
        let hang = if line.starts_with("- ") { "  " } else { "" };
        let mut current = String::new();
        for word in line.split_whitespace() {
            if current.is_empty() {
                current.push_str(word);
            } else if current.len() + 1 + word.len() > WIDTH {
                out.push(current);
                current = format!("{hang}{word}");
            } else {
                current.push(' ');
                current.push_str(word);
            }
        }
        out.push(current);
    }
    out.join("\n")
}

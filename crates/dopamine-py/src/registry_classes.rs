//! The registry's classes made at import: for every entry of the registry's list with a class, a subclass of its interface's base class with the docstring, signature (`inspect.signature`), `kind` and state properties the [`Catalog`] gives; and `OPTIMIZERS`, the list of every entry.

use std::sync::OnceLock;

use dopamine_train::registry::{Family, View};
use numpy::PyArray1;
use pyo3::exceptions::{PyAttributeError, PyImportError};
use pyo3::prelude::*;
use pyo3::types::{PyCFunction, PyDict, PyList, PyTuple, PyType};

use crate::catalog::{Catalog, ClassSpec, Interface, Source, plain, python_name, wrap};
use crate::classes::Optimizer;
use crate::engine::{Engine, Float};
use crate::gradient::GradientOptimizer;
use crate::population::{PerturbationOptimizer, PopulationOptimizer};

/// The registry's classes, read once.
pub(crate) fn catalog() -> PyResult<&'static Catalog> {
    static CATALOG: OnceLock<Result<Catalog, String>> = OnceLock::new();
    CATALOG
        .get_or_init(Catalog::from_registry)
        .as_ref()
        .map_err(|e| PyImportError::new_err(format!("the optimizer registry: {e}")))
}

/// Adds every registry class and `OPTIMIZERS` to the module.
pub(crate) fn add_classes(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    let catalog = catalog()?;
    let optimizers = PyList::empty(py);
    for kind in dopamine_train::OptimizerKind::ALL {
        let info = PyDict::new(py);
        info.set_item("kind", kind.tag())?;
        info.set_item("name", kind.name())?;
        info.set_item("family", family_label(kind.family()))?;
        let renamed = PyDict::new(py);
        for (old, new) in kind.renamed() {
            renamed.set_item(old, new)?;
        }
        info.set_item("renamed", renamed)?;
        match catalog.class(kind) {
            Some(class) => {
                let cls = make_class(py, class)?;
                m.add(class.name, &cls)?;
                info.set_item("class", cls)?;
                info.set_item("excluded", py.None())?;
            }
            None => {
                let reason = catalog
                    .excluded
                    .iter()
                    .find(|e| e.kind == kind)
                    .map(|e| e.reason);
                info.set_item("class", py.None())?;
                info.set_item("excluded", reason)?;
            }
        }
        optimizers.append(info)?;
    }
    m.add("OPTIMIZERS", optimizers)
}

/// A family's name in `OPTIMIZERS`: its variant's words in lower case
/// (`EvolutionStrategy` is "evolution strategy"), so that a family the
/// registry adds is named without an edit here.
fn family_label(family: Family) -> String {
    let mut label = String::new();
    for c in format!("{family:?}").chars() {
        if c.is_ascii_uppercase() && !label.is_empty() {
            label.push(' ');
        }
        label.push(c.to_ascii_lowercase());
    }
    label
}

/// The class of `spec`: `type(name, (base,), namespace)`.
fn make_class<'py>(py: Python<'py>, spec: &ClassSpec) -> PyResult<Bound<'py, PyAny>> {
    let base = match spec.interface {
        Interface::Perturbation => py.get_type::<PerturbationOptimizer>(),
        Interface::Population => py.get_type::<PopulationOptimizer>(),
        Interface::Gradient => py.get_type::<GradientOptimizer>(),
    };
    let ns = PyDict::new(py);
    ns.set_item("__doc__", spec.docstring())?;
    ns.set_item("__module__", "dopamine_py")?;
    ns.set_item("__qualname__", spec.name)?;
    ns.set_item("__slots__", PyTuple::empty(py))?;
    ns.set_item("kind", spec.kind.tag())?;
    ns.set_item("__signature__", signature(py, spec)?)?;
    let property = py.import("builtins")?.getattr("property")?;
    for view in spec.views {
        let name = view.name;
        let getter = PyCFunction::new_closure(py, None, None, move |args, _| {
            let obj = args.get_item(0)?;
            let opt = obj.cast::<Optimizer>()?.try_borrow()?;
            view_value(obj.py(), &opt.engine, name)
        })?;
        let doc = wrap(&plain(view.doc));
        ns.set_item(
            python_name(view.name),
            property.call1((getter, py.None(), py.None(), doc))?,
        )?;
    }
    py.get_type::<PyType>()
        .call1((spec.name, (base,), ns))
        .map(Bound::into_any)
}

/// The class's `__signature__`: `n_params` positional or keyword, the
/// others keyword-only, with their defaults.
fn signature<'py>(py: Python<'py>, spec: &ClassSpec) -> PyResult<Bound<'py, PyAny>> {
    let inspect = py.import("inspect")?;
    let parameter = inspect.getattr("Parameter")?;
    let empty = parameter.getattr("empty")?;
    let params = PyList::empty(py);
    for p in &spec.params {
        let kind = if p.source == Source::NParams {
            parameter.getattr("POSITIONAL_OR_KEYWORD")?
        } else {
            parameter.getattr("KEYWORD_ONLY")?
        };
        let kwargs = PyDict::new(py);
        let default = match &p.default {
            Some(value) => pythonize::pythonize(py, value)?,
            None => empty.clone(),
        };
        kwargs.set_item("default", default)?;
        params.append(parameter.call((p.name.as_str(), kind), Some(&kwargs))?)?;
    }
    inspect.getattr("Signature")?.call1((params,))
}

/// The value of the state view `name` as a Python object (arrays are
/// copies).
fn view_value(py: Python<'_>, engine: &Engine, name: &str) -> PyResult<Py<PyAny>> {
    fn value<T: Float>(py: Python<'_>, view: Option<View<'_, T>>) -> PyResult<Py<PyAny>> {
        Ok(match view {
            None => return Err(PyAttributeError::new_err("no such state view")),
            Some(View::Number(x)) => x.into_pyobject(py)?.into_any().unbind(),
            Some(View::Count(n)) => n.into_pyobject(py)?.into_any().unbind(),
            Some(View::Vector(v)) => PyArray1::from_slice(py, v).into_any().unbind(),
            Some(View::VectorPair(a, b)) => {
                (PyArray1::from_slice(py, a), PyArray1::from_slice(py, b))
                    .into_pyobject(py)?
                    .into_any()
                    .unbind()
            }
        })
    }
    match engine {
        Engine::F32(k) => value(py, k.view(name)),
        Engine::F64(k) => value(py, k.view(name)),
    }
}

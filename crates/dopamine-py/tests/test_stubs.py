"""The type stubs (dopamine_py.pyi) describe the module as it is: names, members and signatures."""

import ast
import inspect
import pathlib

import dopamine_py as dp

STUB = pathlib.Path(__file__).parent.parent / "dopamine_py.pyi"
ALIASES = {"Array", "Query", "Block", "DTypeLike"}


def stub_tree():
    return ast.parse(STUB.read_text())


def stub_classes():
    return {node.name: node for node in stub_tree().body if isinstance(node, ast.ClassDef)}


def test_module_names_match():
    names = set()
    for node in stub_tree().body:
        if isinstance(node, (ast.ClassDef, ast.FunctionDef)):
            names.add(node.name)
        elif isinstance(node, ast.AnnAssign):
            names.add(node.target.id)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets)
    assert names - ALIASES == set(dp.__all__)


def test_class_members_match():
    for name, node in stub_classes().items():
        runtime = getattr(dp, name)
        stubbed = {
            item.name
            for item in node.body
            if isinstance(item, ast.FunctionDef) and not item.name.startswith("__")
        }
        actual = {k for k in vars(runtime) if not k.startswith("__")}
        assert stubbed == actual, name
        bases = [b.id for b in node.bases]
        assert [b.__name__ for b in runtime.__bases__ if b is not object] == bases, name


def params_of(func):
    """(name, kind, default) of a stub function's parameters."""
    a = func.args
    out = []
    positional = a.posonlyargs + a.args
    defaults = [None] * (len(positional) - len(a.defaults)) + list(a.defaults)
    for arg, d in zip(positional, defaults):
        out.append((arg.arg, "positional", None if d is None else ast.literal_eval(d)))
    for arg, d in zip(a.kwonlyargs, a.kw_defaults):
        out.append((arg.arg, "keyword", None if d is None else ast.literal_eval(d)))
    return out


def runtime_params(obj, skip_self):
    sig = inspect.signature(obj)
    out = []
    for p in list(sig.parameters.values())[1 if skip_self else 0 :]:
        kind = "keyword" if p.kind is inspect.Parameter.KEYWORD_ONLY else "positional"
        default = None if p.default is inspect.Parameter.empty else p.default
        out.append((p.name, kind, default))
    return out


def test_signatures_match():
    for name, node in stub_classes().items():
        runtime = getattr(dp, name)
        for item in node.body:
            if not isinstance(item, ast.FunctionDef) or item.decorator_list:
                continue  # properties have no signature to compare
            stub = params_of(item)[1:]  # self
            if item.name == "__init__":
                assert stub == runtime_params(runtime, skip_self=False), name
            elif not item.name.startswith("__"):
                assert stub == runtime_params(getattr(runtime, item.name), skip_self=True), (
                    f"{name}.{item.name}"
                )

"""The shipped _core.pyi names exactly what the extension module defines."""

import ast
from pathlib import Path

import hiili
from hiili import _core


def _stub_names() -> dict[str, set[str]]:
    stub = Path(hiili.__file__).with_name("_core.pyi")
    tree = ast.parse(stub.read_text())
    names: dict[str, set[str]] = {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            members = set()
            for item in node.body:
                if isinstance(item, ast.FunctionDef):
                    members.add(item.name)
                elif isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                    members.add(item.target.id)
                elif isinstance(item, ast.Assign):
                    members.update(t.id for t in item.targets if isinstance(t, ast.Name))
            names[node.name] = members
        elif isinstance(node, ast.FunctionDef):
            names.setdefault(node.name, set())
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.setdefault(node.target.id, set())
    return names


def test_stub_and_module_agree():
    stub = _stub_names()
    public = {n for n in dir(_core) if not n.startswith("_")} | {"__version__"}
    assert set(stub) - {"_Float", "_ArrayLike"} == public
    for name, members in stub.items():
        obj = getattr(_core, name)
        for member in members - {"__init__"}:
            assert hasattr(obj, member), f"{name}.{member} is in the stub but not in _core"
        if isinstance(obj, type) and not issubclass(obj, BaseException):
            runtime = {m for m in vars(obj) if not m.startswith("_")}
            assert runtime <= members, f"{name}: not in the stub: {runtime - members}"


def test_package_ships_typing_files():
    here = Path(hiili.__file__).parent
    assert (here / "py.typed").is_file()
    assert (here / "_core.pyi").is_file()

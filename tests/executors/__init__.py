"""Unit tests of claude_fakes/executors/, and the shim for the helper module this package shadows.

The folder mirrors the package, but its name is also that of tests/executors.py (every executor
driven by the SDK), which the fault and platform matrices import as ``from .executors import ...``.
A package wins over a module of the same name, so the package loads that file under another name
and re-exports what it defines. Renaming the helper module (e.g. to tests/drivers.py) ends this.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

_spec = importlib.util.spec_from_file_location("tests._executors_helper", Path(__file__).parent.parent / "executors.py")
assert _spec is not None and _spec.loader is not None
_helper = importlib.util.module_from_spec(_spec)
# Registered before it runs: its dataclasses look their module up in sys.modules.
sys.modules[_spec.name] = _helper
_spec.loader.exec_module(_helper)
globals().update({name: value for name, value in vars(_helper).items() if not name.startswith("__")})

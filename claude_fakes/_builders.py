"""The generator of :mod:`claude_fakes.faults`: one Python builder per catalogue entry.

The builders are written out as source, not made at import time, so that mypy and editors see
every signature and docstring. A development tool, not part of the fake: it sits beside the
package's surface, the one module here that writes a file. ``python -m claude_fakes._builders`` rewrites
``claude_fakes/faults.py``; ``tests/test_faults.py`` fails while that file differs from
:func:`render`.
"""

from __future__ import annotations

import builtins
import json
from pathlib import Path
from typing import Any

from .core.catalogue import FAULTS, Fault, Param

COMMAND = "python -m claude_fakes._builders"
TARGET = Path(__file__).parent / "faults.py"
LINE_LENGTH = 120

_TYPES = {
    "count": "int", "duration": "Duration", "number": "float", "flag": "bool", "word": "str", "error_type": "str",
    "status": "int", "json": "Mapping[str, Any] | str",
}
"""The Python type of each kind of :class:`~claude_fakes.core.catalogue.Param`."""

_HEAD = f'''# Generated from the fault catalogue (claude_fakes/core/catalogue.py) by `{COMMAND}`.
# Do not edit: change the catalogue and run that command.
"""Python builders for script steps: ``faults.drop(after=3)`` is the step ``drop(after=3)``.

One builder per entry of the fault catalogue (:mod:`claude_fakes.core.catalogue`), with the same
parameter names, generated from it.

Each builder returns a :class:`~claude_fakes.core.step.Step`; ``faults.overloaded() * 2`` covers two
attempts. Durations are seconds (``float``) or strings with a unit (``"500ms"``, ``"10m"``). Steps
that send model content take ``reply=`` (see :mod:`claude_fakes.replies`).
"""

from __future__ import annotations
'''


def render() -> str:
    """The source of ``claude_fakes/faults.py``."""
    takes_json = any(param.kind == "json" for fault in FAULTS.values() for param in fault.params)
    lines = [_HEAD]
    if takes_json:
        lines.append("from collections.abc import Mapping")
    if takes_json or any(fault.draws for fault in FAULTS.values()):
        lines.append("from typing import Any")
    lines += ["", "from .core.replies import Reply", "from .core.step import Step", "", "__all__ = ["]
    lines += [f'    "{name}",' for name in sorted(FAULTS)]
    lines += ["]", "", "Duration = float | str", '"""Seconds, or a string with a unit (``"500ms"``, ``"10m"``)."""']
    for fault in FAULTS.values():
        lines += ["", "", *_builder(fault)]
    return "\n".join(lines) + "\n"


def _builder(fault: Fault) -> list[str]:
    if fault.draws:
        # The probabilities pass through a dict[str, Any]: Step.make's reply= is not a float.
        return [f"def {fault.name}(**probabilities: float) -> Step:", *_docstring(fault.doc),
                "    chances: dict[str, Any] = dict(probabilities)",
                f'    return Step.make("{fault.name}", **chances)']
    positional = [_parameter(p) for p in fault.params if not p.keyword_only]
    keyword = [_parameter(p) for p in fault.params if p.keyword_only]
    names = [p.name for p in fault.params]
    if fault.takes_reply:
        # Content comes last and by name, but for ok, whose only argument it is: ok(replies.text("hi")).
        (keyword if fault.params else positional).append("reply: Reply | None = None")
        names.append("reply")
    parameters = [*positional, *(["*", *keyword] if keyword else [])]
    return [*_wrapped(f"def {fault.name}(", parameters, ") -> Step:", ""), *_docstring(fault.doc),
            *_wrapped("return Step.make(", [f'"{fault.name}"', *(f"{name}={name}" for name in names)], ")", "    ")]


def _parameter(param: Param) -> str:
    annotation = _TYPES[param.kind] + (" | None" if param.nullable else "")
    return f"{param.name}: {annotation}" + ("" if param.required else f" = {_literal(param.default)}")


def _literal(value: Any) -> str:
    if isinstance(value, str):
        return json.dumps(value)
    return repr(value)


def _shadows(parameter: str) -> bool:
    return hasattr(builtins, parameter.split(":", 1)[0])


def _wrapped(opening: str, items: list[str], closing: str, indent: str) -> list[str]:
    """``opening`` + items + ``closing`` on one line if it fits, else one item a line; a parameter
    named like a builtin (``type``, ``input``) gets ruff's ``noqa`` where ruff reports it."""
    noqa = "  # noqa: A002" if any(_shadows(item) for item in items) else ""
    line = f"{indent}{opening}{', '.join(items)}{closing}"
    if len(line + noqa) <= LINE_LENGTH:
        return [line + noqa]
    inner = indent + "    "
    return [indent + opening,
            *(f"{inner}{item},{'  # noqa: A002' if _shadows(item) else ''}"
              for item in items),
            indent + closing]


def _docstring(doc: str) -> list[str]:
    first, *rest = doc.split("\n")
    body = [f"    {line}" if line else "" for line in rest]
    if "" in rest:
        # Several paragraphs: the closing quotes stand on their own line.
        return [f'    """{first}', *body, '    """']
    if body:
        body[-1] += '"""'
        return [f'    """{first}', *body]
    return [f'    """{first}"""']


if __name__ == "__main__":
    TARGET.write_text(render())
    print(f"wrote {TARGET}")

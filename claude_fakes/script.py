"""The script language: ``"overloaded*2, ok; drop(after=3), ok"`` parsed into steps and turns.

Defined in :mod:`claude_fakes.core.script`.
"""

from __future__ import annotations

from .core.script import ScriptError, Step, StepLike, Turns, parse_script, parse_turns, to_steps, to_turns

__all__ = ["ScriptError", "Step", "StepLike", "Turns", "parse_script", "parse_turns", "to_steps", "to_turns"]

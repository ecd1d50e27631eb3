"""Internal. The engine: one fake's script, turns, routes, journal and findings, on a clock it is given.

Both executors drive an :class:`~claude_fakes.engine.engine.Engine` through ``begin`` and
``finish``; the user's :class:`~claude_fakes.ClaudeFake` wraps one and does not show them.
"""

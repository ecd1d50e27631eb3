"""Internal. The sans-I/O core: what a fault is, what a script says, what a request gets.

The fault catalogue, the script grammar and its steps, plans (data that executors only
perform), the planner (a request and a step in, a plan out), messages and tools, conversation
checks, turn keys, the journal and the verdict, and the virtual clock's data. Nothing here
knows of sockets, HTTP libraries, threads or pytest; it imports only :mod:`claude_fakes.wire`.
Names here carry no stability promise: a test imports from :mod:`claude_fakes` and its public
modules.
"""

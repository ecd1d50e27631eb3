"""Internal. Executors: the code that performs a plan on a real HTTP stack.

:mod:`.httpx_transport` (in-process, inside an httpx or httpx2 transport, on the virtual clock),
:mod:`.aiohttp_connection` (in-process, an in-memory connection that aiohttp parses),
:mod:`.http1` (a plan as HTTP/1.1 bytes, for the two that speak bytes) and :mod:`.server` (real
sockets, real time). Each knows the engine and the core, never another executor (only the
shared HTTP/1.1 writer), and never how it was reached: activation hands each one what it needs.
"""

"""Internal. Activation: which requests reach the fake, what else may leave the machine, and
what time it is while one runs.

:mod:`.targets` (the hosts answered, however spelt; what an SDK client's request and a request
for Claude look like), :mod:`.intercept` (the patches on httpx, httpx2 and aiohttp that hand
those requests to an executor, and refuse the rest of Claude's), :mod:`.network` (the network
guard: its settings, refusals and socket patches), :mod:`.tls` (the TLS contexts the clients
built meanwhile share), :mod:`.virtual_time` and :mod:`.aio` (sleeps, clocks and event loops on
the fake's clock, on the test's thread only).
"""

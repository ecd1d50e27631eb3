"""Internal. Activation: which requests reach the fake, and what time it is while one runs.

:mod:`.targets` (the hosts answered, however spelt), :mod:`.intercept` (the patches on httpx,
httpx2 and aiohttp that hand those requests to an executor), :mod:`.tls` (the TLS contexts the
clients built meanwhile share), :mod:`.virtual_time` and :mod:`.aio` (sleeps, clocks and event
loops on the fake's clock, on the test's thread only).
"""

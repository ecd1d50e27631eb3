"""Internal. The bytes: every encoding the fake writes, and nothing else.

:mod:`.http` (reason phrases, dates, compact JSON), :mod:`.anthropic` (the Anthropic API's error
bodies, SSE events, ids and headers), :mod:`.platforms` (how the Anthropic API, Bedrock and
Vertex each put a reply or an error on the wire), :mod:`.eventstream` (Bedrock's frames),
:mod:`.models` (the model table). The lowest layer: it imports nothing else of the package.
"""

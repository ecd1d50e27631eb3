"""Internal. Cassettes on disk: reading them, writing them as exchanges are recorded, importing other
recorders' files and comparing two cassettes (the format is :mod:`claude_fakes.core.cassette`'s)."""

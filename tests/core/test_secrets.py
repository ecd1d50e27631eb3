"""Secret headers: never journalled, never shown, never written to a cassette."""

from __future__ import annotations

import pytest

from claude_fakes.core.secrets import REDACTED, is_secret, redact


@pytest.mark.parametrize("header", ["x-api-key", "authorization", "proxy-authorization", "cookie",
                                    "x-amz-security-token", "x-goog-api-key", "helicone-auth", "cf-aig-authorization",
                                    "x-portkey-api-key", "x-portkey-virtual-key", "openai_api_key", "x-auth-token",
                                    "x-client-secret", "x-password"])
def test_a_header_named_like_a_secret_is_redacted(header: str) -> None:
    assert is_secret(header) and redact({header: "s3cr3t"}) == {header: REDACTED}


@pytest.mark.parametrize("header", ["anthropic-version", "anthropic-beta", "x-stainless-retry-count", "content-type",
                                    "x-claude-code-session-id", "x-amz-date", "user-agent", "x-monkey"])
def test_other_headers_are_kept(header: str) -> None:
    assert not is_secret(header)

"""Secrets never shown: which names hold credentials, and text with every known secret masked.

Used wherever text may leave the process (log lines, one-line errors, stored config, DB URLs): the
logging setup, the settings' redaction and the audit DB's errors all mask with the same rules.
"""

from __future__ import annotations

import re
import threading

MASK = "**********"


_SECRET_KEY_PARTS = (
    "apikey",
    "secret",
    "password",
    "passwd",
    "passphrase",
    "token",
    "signature",
    "authorization",
    "privatekey",
    "credential",
    "cookie",
)
_INLINE_SECRET = re.compile(
    r"""(?ix)
    (?P<key>[\w.-]*(?:api[_-]?key|secret|password|passwd|passphrase|token|signature|authorization)[\w.-]*)
    (?P<sep>["']?\s*[:=]\s*["']?)
    (?P<value>(?:bearer\s+)?[^\s"'&,;}\]]+)
    """
)
# Every key _INLINE_SECRET can match contains one of these (lower case): a necessary condition.
_INLINE_WORDS = ("key", "secret", "passw", "passphrase", "token", "signature", "authorization")
_URL_PASSWORD = re.compile(r"(?P<head>://[^:/@\s]*:)(?P<password>[^@\s/]+)(?P<at>@)")
_lock = threading.Lock()
_registered: frozenset[str] = frozenset()
_registered_pattern: re.Pattern[str] | None = None


def is_secret_key(name: str) -> bool:
    """Whether a key's *name* says its value is a credential (``apiKey``, ``X-MBX-APIKEY``, ``password``).

    Deliberately generous: masking a harmless value costs a little readability, leaking a key costs money.
    """
    normalized = re.sub(r"[^a-z0-9]", "", name.lower())
    return any(part in normalized for part in _SECRET_KEY_PARTS)


def register_secrets(*values: str | None) -> None:
    """Remember secret values so that they are scrubbed from every log line from now on.

    Call it with ``settings.secret_values()`` right after loading the settings. Empty values and
    ``None`` are ignored. The values are kept only in memory.
    """
    global _registered, _registered_pattern
    new = {value for value in values if value}
    with _lock:
        if new <= _registered:
            return
        _registered = _registered | new
        # Longest first, so that a secret containing another is masked whole.
        alternatives = sorted(_registered, key=len, reverse=True)
        _registered_pattern = re.compile("|".join(re.escape(value) for value in alternatives))


def clear_secrets() -> None:
    """Forget every registered secret (for tests, which register throw-away values)."""
    global _registered, _registered_pattern
    with _lock:
        _registered = frozenset()
        _registered_pattern = None


def scrub_text(text: str) -> str:
    """``text`` with registered secrets, inline ``key=secret`` pairs and URL passwords masked."""
    pattern = _registered_pattern
    if pattern is not None:
        text = pattern.sub(MASK, text)
    # Cheap tests first: most logged strings (ids, symbols, times) cannot match the patterns below.
    if ("=" in text or ":" in text) and any(word in text.lower() for word in _INLINE_WORDS):
        text = _INLINE_SECRET.sub(lambda m: f"{m['key']}{m['sep']}{MASK}", text)
    if "://" in text and "@" in text:
        text = _URL_PASSWORD.sub(lambda m: f"{m['head']}{MASK}{m['at']}", text)
    return text

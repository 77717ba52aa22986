"""Encryption at rest for what users write (drafts, conversation state), with Fernet.

`BOT_DATA_KEY` holds one or more comma-separated Fernet keys: the first encrypts, all decrypt
(MultiFernet), so a key is rotated by putting a new one first, running
`python -m bot rotate-key`, then dropping the old one. Values are stored as `fernet:<token>`;
rows written before a key was set stay readable and are encrypted by the next write (or by
rotate-key)."""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy.engine import Dialect
from sqlalchemy.types import Text, TypeDecorator

PREFIX = "fernet:"


class KeyError_(ValueError):
    """BOT_DATA_KEY is not a list of Fernet keys."""


def make_cipher(keys: str | None) -> MultiFernet | None:
    if not keys or not keys.strip():
        return None
    try:
        return MultiFernet([Fernet(k.strip().encode()) for k in keys.split(",") if k.strip()])
    except (ValueError, TypeError):
        raise KeyError_(
            "BOT_DATA_KEY must be Fernet keys (32 url-safe base64 bytes), comma-separated; "
            'make one with: python -c "from cryptography.fernet import Fernet; '
            'print(Fernet.generate_key().decode())"'
        ) from None


def _cipher(dialect: Dialect) -> MultiFernet | None:
    return getattr(dialect, "hitoban_cipher", None)


class SecretText(TypeDecorator[str]):
    """Text encrypted with the engine's cipher when one is configured (see Database)."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        cipher = _cipher(dialect)
        if value is None or cipher is None:
            return value
        return PREFIX + cipher.encrypt(value.encode()).decode()

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None or not value.startswith(PREFIX):
            return value
        cipher = _cipher(dialect)
        if cipher is None:
            raise InvalidToken("data is encrypted but BOT_DATA_KEY is not set")
        return cipher.decrypt(value[len(PREFIX) :].encode()).decode()

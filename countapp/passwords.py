"""Password rules: what a password must be, and a readable generated one. Plain Python, no I/O."""
from __future__ import annotations

import secrets

from tickets.errors import CountappError, N_

MIN_LENGTH = 8
# Hashing cost grows with the length: a bound keeps a log-in from being made expensive on purpose.
MAX_LENGTH = 128
# Letters and digits that cannot be mistaken for one another when read aloud or copied by hand.
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
_COMMON = frozenset({
    "password", "password1", "12345678", "123456789", "1234567890", "azertyuiop", "qwertyuiop", "motdepasse",
    "azerty123", "qwerty123", "iloveyou", "abcdefgh", "00000000", "11111111", "inventaire", "inventory",
})


def check_new_password(password: str, *, confirmation: str | None = None, login: str = "",
                       current_hash_matches: bool = False) -> None:
    """Raise a CountappError naming the first rule the new password breaks (field "password")."""
    password = password or ""
    if len(password) < MIN_LENGTH:
        raise CountappError(N_("The password must have at least %(min)s characters."), field="password",
                            min=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        raise CountappError(N_("The password must have at most %(max)s characters."), field="password",
                            max=MAX_LENGTH)
    if password.strip() == "" or len(set(password)) == 1:
        raise CountappError(N_("The password cannot be one character repeated."), field="password")
    if login and password.casefold() == login.strip().casefold():
        raise CountappError(N_("The password cannot be the login."), field="password")
    if password.casefold() in _COMMON:
        raise CountappError(N_("This password is too common: choose another one."), field="password")
    if current_hash_matches:
        raise CountappError(N_("Choose a password different from the current one."), field="password")
    if confirmation is not None and confirmation != password:
        raise CountappError(N_("The two passwords differ: type the same password twice."), field="confirmation")


def generate_password(groups: int = 3, size: int = 4) -> str:
    """A random password such as ``k7mq-x3tp-9wza`` (about 60 bits), easy to read out once."""
    return "-".join("".join(secrets.choice(_ALPHABET) for _ in range(size)) for _ in range(groups))

"""The password rules, alone: no app, no database."""
import re

import pytest

from countapp.passwords import MAX_LENGTH, MIN_LENGTH, check_new_password, generate_password
from tickets.errors import CountappError


def refusal(password, **kwargs) -> CountappError:
    with pytest.raises(CountappError) as caught:
        check_new_password(password, **kwargs)
    return caught.value


def test_a_long_enough_password_is_accepted():
    check_new_password("cellar-ladder-7", confirmation="cellar-ladder-7", login="ann")


def test_too_short_names_the_minimum():
    error = refusal("a" * 2 + "b" * (MIN_LENGTH - 3))
    assert error.field == "password" and error.params == {"min": MIN_LENGTH}
    assert str(MIN_LENGTH) in error.render()


def test_exactly_the_minimum_is_enough():
    check_new_password("abcdefg1"[:MIN_LENGTH].ljust(MIN_LENGTH, "x"))


def test_too_long_is_refused():
    assert refusal("ab" * MAX_LENGTH).params == {"max": MAX_LENGTH}


def test_none_counts_as_empty():
    assert refusal(None).field == "password"


@pytest.mark.parametrize("password", ["aaaaaaaaaa", "          "])
def test_one_character_repeated_is_refused(password):
    assert "repeated" in refusal(password).render()


def test_the_login_itself_is_refused_whatever_the_case():
    assert "login" in refusal("Marie-Dupont", login=" marie-dupont ").render()


@pytest.mark.parametrize("password", ["password", "Azertyuiop", "12345678", "motdepasse"])
def test_common_passwords_are_refused(password):
    assert "common" in refusal(password).render()


def test_same_as_current_is_refused():
    assert "different" in refusal("cellar-ladder-7", current_hash_matches=True).render()


def test_confirmation_must_match_and_names_its_field():
    error = refusal("cellar-ladder-7", confirmation="cellar-ladder-8")
    assert error.field == "confirmation" and "differ" in error.render()


def test_the_length_rule_comes_before_the_confirmation():
    assert refusal("short", confirmation="other").field == "password"


def test_generated_passwords_are_readable_random_and_pass_the_rules():
    made = {generate_password() for _ in range(200)}
    assert len(made) == 200
    for password in made:
        assert re.fullmatch(r"[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}", password)
        assert not set(password) & set("01ilo")
        check_new_password(password, login="ann")

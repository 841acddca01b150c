"""The quote check's table: what counts as found, found with changes, and not found."""

import pytest

from claims.capture import match_quote

TEXT = "The minister said: \u201cWe will never send troops\u201d \u2014 and left.\nNo  questions."


@pytest.mark.parametrize(
    ("quote", "result"),
    [
        ("We will never send troops", "found"),  # exact
        ("we WILL never   send\ntroops", "found"),  # case and whitespace
        ('"We will never send troops"', "found"),  # straight quotes for curly ones
        ("\u201cWe will never send troops\u201d - and left.", "found"),  # dashes
        ("No questions.", "found"),
        ("We will never send the troops", "changed"),  # one word added
        ("We shall never send troops", "changed"),
        ("Troops will be sent next week", "not_found"),
        ("", "not_found"),
    ],
)
def test_quote_check(quote, result):
    assert match_quote(quote, TEXT).result == result


def test_an_exact_match_scores_one_and_a_fuzzy_one_less():
    assert match_quote("We will never send troops", TEXT).score == 1.0
    assert 0.85 <= match_quote("We shall never send troops", TEXT).score < 1.0


def test_a_missing_quote_has_a_low_score():
    assert match_quote("Troops will be sent next week", TEXT).score < 0.85


def test_an_empty_capture_finds_nothing():
    assert match_quote("We will never send troops", "").result == "not_found"

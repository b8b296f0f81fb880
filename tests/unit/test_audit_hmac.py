"""The audit key and the keyed hash: no app, no database.

The key lives outside the database (COUNTAPP_AUDIT_KEY, else a 0600 file in the instance folder made
once, the same for every process that starts at once); a keyed hash cannot be recomputed without it;
the plain SHA-256 of events written before keying is unchanged, so old chains still verify.
"""
from __future__ import annotations

import json
import multiprocessing
import os
import stat
from datetime import datetime, timedelta, timezone

import pytest

from countapp import audit_key
from countapp.services.audit import GENESIS, canonical_json, event_digest

AT = datetime(2025, 12, 28, 9, 30, 15, 123456, tzinfo=timezone.utc)
EVENT = (GENESIS, 7, 3, AT, "ann", "count.add", "ticket", "000001/2025", {"status": "issued"},
         {"quantity": "12.5", "round": 1})
# What the code before migration sec0001 gave for EVENT (plain SHA-256): existing chains keep verifying.
PLAIN_BEFORE_KEYING = "4be72ca2104f6a21326dfe64699ecf3433b6f61118772a7e3db3e2a88376c035"


def test_the_plain_hash_of_old_events_is_unchanged():
    assert event_digest(*EVENT) == event_digest(*EVENT, None) == PLAIN_BEFORE_KEYING


def test_a_keyed_hash_needs_the_key():
    key, other = b"k" * 32, b"m" * 32
    keyed = event_digest(*EVENT, key)
    assert keyed != event_digest(*EVENT)                       # not the plain SHA-256 a forger can compute
    assert keyed != event_digest(*EVENT, other)                # nor what another key gives
    assert keyed == event_digest(*EVENT, key) and len(keyed) == 64
    changed = (*EVENT[:9], {"quantity": "13", "round": 1})
    assert event_digest(*changed, key) != keyed


def test_the_key_comes_from_the_setting_then_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv(audit_key.ENV, "e" * 40)
    assert audit_key.load(tmp_path).secret == b"e" * 40
    assert audit_key.load(tmp_path, "c" * 40).secret == b"c" * 40
    assert not (tmp_path / audit_key.FILE_NAME).exists()       # no file when the key is given


def test_a_short_key_is_refused_with_the_way_to_make_one(tmp_path, monkeypatch):
    monkeypatch.setenv(audit_key.ENV, "short")
    with pytest.raises(audit_key.AuditKeyError, match="COUNTAPP_AUDIT_KEY is 5 bytes long.*at least 32.*token_hex"):
        audit_key.load(tmp_path)


def test_without_a_setting_a_private_file_is_made_once(tmp_path, monkeypatch):
    monkeypatch.delenv(audit_key.ENV, raising=False)
    first = audit_key.load(tmp_path)
    path = tmp_path / audit_key.FILE_NAME
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(first.secret) == 64 and first.source == str(path)
    assert audit_key.load(tmp_path) == first
    assert path.read_text().strip().encode() == first.secret


def test_the_key_id_names_the_key_without_revealing_it():
    key = audit_key.AuditKey(b"s" * 32)
    assert key.key_id == audit_key.AuditKey(b"s" * 32).key_id != audit_key.AuditKey(b"t" * 32).key_id
    assert len(key.key_id) == 16 and key.key_id not in (b"s" * 32).hex()
    assert "sss" not in repr(key)


def test_a_key_file_written_by_hand_without_newline_is_read(tmp_path, monkeypatch):
    monkeypatch.delenv(audit_key.ENV, raising=False)
    (tmp_path / audit_key.FILE_NAME).write_text("h" * 48)
    assert audit_key.load(tmp_path).secret == b"h" * 48


def test_an_empty_key_file_is_an_error_not_a_new_key(tmp_path, monkeypatch):
    monkeypatch.delenv(audit_key.ENV, raising=False)
    (tmp_path / audit_key.FILE_NAME).write_text("")
    with pytest.raises(audit_key.AuditKeyError, match="holds no complete key"):
        audit_key.load(tmp_path)


def _load_in_child(folder: str, start) -> bytes:
    start.wait()
    return audit_key.load(folder).secret


def test_processes_starting_together_end_with_one_key(tmp_path, monkeypatch):
    monkeypatch.delenv(audit_key.ENV, raising=False)
    context = multiprocessing.get_context("fork")
    with context.Manager() as manager:
        start = manager.Barrier(8)
        with context.Pool(8) as pool:
            keys = pool.starmap(_load_in_child, [(str(tmp_path), start)] * 8)
    assert len(set(keys)) == 1
    assert (tmp_path / audit_key.FILE_NAME).read_text().strip().encode() == keys[0]
    assert os.listdir(tmp_path) == [audit_key.FILE_NAME]


# What the code gave before the canonical JSON was made once (issue 20): keyed, main chain and a user's
# sub-chain with non-ASCII text, escapes, nested values and an offset time; stored chains keep verifying.
SUB = ("a" * 64, 7, 42, datetime(2025, 12, 28, 10, 30, 15, 5, tzinfo=timezone(timedelta(hours=1))), "zoé",
       "count.add", "ticket", "000002/2025", {"status": "counted_1"},
       {"round": 2, "quantity": "0.5", "state": "good", "method": "counted", "source": "import", "status": "recount",
        "client_id": None, "note": 'élan \u2013 "q" \\ \n', "packaging": {"pallets": "1", "loose_units": "3"}})
KNOWN = [(EVENT, b"k" * 32, "", "22cd91e79d7beb28626ab8b7c0f10a36f088146c02d5e3d7be015895e5381a8c"),
         (SUB, b"k" * 32, "user:12", "0931a40b7648e908196f3099c966c187ef876bb6c928252a8ba1f7c040023218"),
         ((*SUB[:3], SUB[3].replace(tzinfo=None), *SUB[4:]), b"k" * 32, "user:12",
          "24f09d0be9ef96ac5d0a07ae27b992276e0bd379fbae6cc84a195d53a7bfc383")]


@pytest.mark.parametrize(("event", "key", "chain", "known"), KNOWN)
def test_keyed_hashes_of_stored_events_are_unchanged(event, key, chain, known):
    assert event_digest(*event, key, chain) == known


def test_the_canonical_json_is_json_dumps_sorted_compact_and_unescaped():
    value = [None, 1, 2.5, True, "é\u2013\n\"\\", {"b": [1, {"z": 1, "a": None}], "a": "x", "é": {}}]
    assert canonical_json(value) == json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)

"""The bench's report text: its placeholders are the values the writer gives (a brace in prose broke a run)."""

from __future__ import annotations

import string

from app.bench.report import NOTES

GIVEN = {"scale", "ideal", "concurrency", "mixed_seconds", "small", "large"}


def test_the_notes_name_only_the_values_the_writer_gives():
    named = {field for _, field, _, _ in string.Formatter().parse(NOTES) if field is not None}
    assert named <= GIVEN, named - GIVEN

"""The bench's report text: its placeholders are the values the writer gives (a brace in prose broke a run)."""

from __future__ import annotations

import string

from app.bench.report import NOTES, delivery_rows, delivery_targets

GIVEN = {"scale", "ideal", "concurrency", "mixed_seconds", "small", "large"}


def test_the_notes_name_only_the_values_the_writer_gives():
    named = {field for _, field, _, _ in string.Formatter().parse(NOTES) if field is not None}
    assert named <= GIVEN, named - GIVEN


def deliveries(**changed) -> dict:
    figures = {"tenants": 250, "expected": 500, "queued": 500, "sent": 500, "states": {"SENT": 500}, "rate": 12.5,
               "wall_seconds": 80.0, "peak_rss_mb": 210.0, "killed_at": 200, "received_at_kill": 201, "mails": 501,
               "received_once": 499, "duplicates": 1, "never_received": 0, "job_timeout": 20}
    return figures | changed


def test_the_deliveries_target_holds_only_when_every_delivery_is_sent_and_received_and_shows_duplicates():
    ((_, met, _, figures),) = delivery_targets(deliveries())
    assert met and "1 received twice" in figures and "12.5 deliveries/s" in figures
    for broken in ({"states": {"SENT": 499, "QUEUED": 1}}, {"never_received": 1}):
        ((_, met, _, _),) = delivery_targets(deliveries(**broken))
        assert not met, broken
    assert delivery_targets(None) == [] and delivery_rows(None) == []
    assert any("210 MB" in row for row in delivery_rows(deliveries()))

"""The formula (version 2), hand-worked per component and in total, and its properties under random inputs."""

from __future__ import annotations

import datetime as dt
import math
import re
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.health.formula import DEFAULT_WEIGHTS, FORMULA_VERSION, KEYS, HealthInputs, band, carried_over, score

OCTOBER = dt.date(2026, 10, 1)


def inputs(**fields) -> HealthInputs:
    """A tenant with 40 employees and no data beyond what the test names (policies: 0 of 6)."""
    return HealthInputs(**{"month": OCTOBER, "employees": 40, **fields})


def component(result, key):
    return next(c for c in result.components if c.key == key)


@pytest.mark.parametrize(
    ("employees", "tickets", "expected"),
    [
        (40, 8, 100),  # target 40 / 5 = 8
        (40, 3, 100),
        (40, 16, 50),
        (40, 12, 67),  # 66.67
        (3, 3, 33),  # target is at least 1
        (7, 8, 13),  # 12.5 rounds half up (Python's round() would give 12)
        (40, 0, 100),
    ],
)
def test_tickets_against_one_ticket_a_month_per_five_people(employees, tickets, expected):
    assert component(score(inputs(employees=employees, tickets=tickets)), "tickets").score == expected


def test_tickets_explain_their_figures():
    tickets = component(score(inputs(tickets=16)), "tickets")
    assert tickets.explanation == "16 tickets in 2026-10 against a target of 8 for 40 employees."
    missing = component(score(inputs()), "tickets")
    assert (missing.score, missing.weight) == (None, 0.0)
    assert missing.explanation == "No ticket figures for 2026-10."


REVIEW = {"review_completed_on": dt.date(2026, 10, 14)}
BUDGET = {"budget_lines": 3, "planned": Decimal("120000.00"), "fiscal_year": 2026, "fiscal_months_elapsed": 6}


@pytest.mark.parametrize(
    ("actual", "unplanned", "expected"),
    [
        ("60000", 0, 100),  # on plan: 120,000 * 6/12
        ("66000", 0, 80),  # 10% over
        ("54000", 0, 100),  # 10% under is fine
        ("42000", 0, 90),  # 30% under: 10 points beyond the 20% slack
        ("30000", 0, 70),
        ("132000", 0, 0),  # 120% over, clamped
        ("60000", 1, 90),  # a line with spend but nothing planned
        ("60000", 11, 0),
        ("64500", 0, 85),  # 7.5% over
        ("64650", 0, 85),  # 7.75% over: 84.5 rounds half up
    ],
)
def test_budget_against_plan_to_date(actual, unplanned, expected):
    result = score(inputs(**BUDGET, actual=Decimal(actual), unplanned_lines=unplanned))
    assert component(result, "budget").score == expected


def test_budget_without_lines_has_no_data_and_nothing_planned_with_spend_scores_zero():
    assert component(score(inputs(fiscal_year=2026)), "budget").score is None
    zero_plan = inputs(budget_lines=1, planned=Decimal(0), actual=Decimal(500), unplanned_lines=1)
    assert component(score(zero_plan), "budget").score == 0
    idle = inputs(budget_lines=1, planned=Decimal(0), actual=Decimal(0))
    assert component(score(idle), "budget").score == 100


def test_budget_explains_its_figures():
    budget = component(score(inputs(**BUDGET, actual=Decimal(66000), unplanned_lines=1, currency="EUR")), "budget")
    assert budget.explanation == (
        "66,000.00 EUR spent against 60,000.00 planned for the first 6 months of fiscal year 2026, "
        "10.0% over plan, and 1 line with spend but nothing planned."
    )


@pytest.mark.parametrize(
    ("levels", "expected"),
    [
        ({"critical_risks": 1, "high_risks": 1}, 65),
        ({"medium_risks": 2, "overdue_reviews": 1}, 89),
        ({"critical_risks": 5}, 0),  # at least 0
        ({}, 100),  # only closed or accepted risks
    ],
)
def test_risks_by_level(levels, expected):
    assert component(score(inputs(risks=6, **levels)), "risks").score == expected


def test_an_empty_risk_register_has_no_data():
    assert component(score(inputs()), "risks").score is None


@pytest.mark.parametrize(
    ("total", "due", "done", "expected"),
    [(5, 4, 3, 75), (5, 3, 2, 67), (8, 8, 1, 13), (2, 0, 0, 100), (0, 0, 0, None)],
)
def test_plan_done_against_due(total, due, done, expected):
    result = score(inputs(initiatives=total, initiatives_due=due, initiatives_done=done))
    assert component(result, "plan").score == expected


@pytest.mark.parametrize(("window", "held", "expected"), [(3, 2, 67), (3, 3, 100), (2, 1, 50), (1, 0, 0), (0, 0, None)])
def test_steering_months_with_a_held_meeting(window, held, expected):
    assert component(score(inputs(steering_months=window, steering_held=held)), "steering").score == expected


def test_steering_and_plan_explain_their_figures():
    steering = component(score(inputs(steering_months=2, steering_held=1)), "steering")
    assert steering.explanation == "A steering meeting was held in 1 of the 2 months from 2026-09 to 2026-10."
    first_month = component(score(inputs(steering_months=1, steering_held=0)), "steering")
    assert first_month.explanation == "No steering meeting was held in 2026-10, the client's first month."
    plan = component(score(inputs(initiatives=5, initiatives_due=4, initiatives_done=3)), "plan")
    assert plan.explanation == "3 of the 4 initiatives due by 2026-10 are done."


@pytest.mark.parametrize(("current", "expected"), [(0, 0), (3, 50), (4, 67), (6, 100)])
def test_policies_share_of_the_six(current, expected):
    assert component(score(inputs(policies_current=current)), "policies").score == expected


def test_total_is_the_weighted_sum_rounded_half_up():
    result = score(
        inputs(
            tickets=16,  # 50 x 0.20
            **BUDGET, actual=Decimal(66000),  # 80 x 0.10
            risks=2, critical_risks=1, high_risks=1,  # 65 x 0.15
            initiatives=4, initiatives_due=4, initiatives_done=3,  # 75 x 0.10
            steering_months=3, steering_held=2,  # 67 x 0.10
            policies_current=4,  # 67 x 0.10
            **REVIEW, alignment_possible=20, alignment_halves=30,  # 75 x 0.15
            assets_current=40, assets_expiring=6, assets_unsupported=4,  # 86 x 0.10
        )
    )
    # 10 + 8 + 9.75 + 7.5 + 6.7 + 6.7 + 11.25 + 8.6 = 68.5
    assert (result.score, result.band) == (69, "YELLOW")
    assert [c.key for c in result.components] == list(KEYS) == [
        "tickets", "budget", "risks", "plan", "steering", "policies", "alignment", "lifecycle"]
    assert {c.key: c.weight for c in result.components} == pytest.approx(DEFAULT_WEIGHTS)
    assert math.fsum(DEFAULT_WEIGHTS.values()) == 1 and FORMULA_VERSION == 2


def test_components_without_data_drop_out_and_the_rest_are_reweighted():
    result = score(inputs(steering_months=3, steering_held=2, policies_current=3))  # 67 and 50
    weights = {c.key: c.weight for c in result.components}
    assert weights == pytest.approx({"tickets": 0, "budget": 0, "risks": 0, "plan": 0, "steering": 0.5, "policies": 0.5,
                                     "alignment": 0, "lifecycle": 0})
    assert result.score == 59  # 33.5 + 25 = 58.5


def test_practice_weights_apply_and_zero_weights_with_data_share_equally():
    weights = {"tickets": 0.5, "risks": 0, "budget": 0, "plan": 0, "policies": 0.5, "steering": 0}
    assert score(inputs(tickets=16, policies_current=6), weights).score == 75
    only_tickets = {"tickets": 1, "risks": 0, "budget": 0, "plan": 0, "policies": 0, "steering": 0}
    result = score(inputs(steering_months=1, steering_held=1, policies_current=0), only_tickets)
    assert result.score == 50  # no tickets: steering 100 and policies 0 share equally


@pytest.mark.parametrize(("value", "expected"), [(100, "GREEN"), (70, "GREEN"), (69, "YELLOW"), (40, "YELLOW"), (39, "RED"), (0, "RED")])
def test_bands(value, expected):
    assert band(value) == expected


counts = st.integers(min_value=0, max_value=50)
money = st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False, allow_infinity=False)


@st.composite
def any_inputs(draw) -> HealthInputs:
    risks = draw(counts)
    initiatives = draw(counts)
    due = draw(st.integers(0, initiatives))
    window = draw(st.integers(0, 3))
    possible = draw(st.integers(0, 500))
    return HealthInputs(
        month=OCTOBER,
        employees=draw(st.integers(1, 100_000)),
        tickets=draw(st.none() | st.integers(0, 10**6)),
        fiscal_year=2026,
        fiscal_months_elapsed=draw(st.integers(1, 12)),
        budget_lines=draw(counts),
        planned=draw(money),
        actual=draw(money),
        unplanned_lines=draw(counts),
        risks=risks,
        critical_risks=draw(st.integers(0, risks)),
        high_risks=draw(st.integers(0, risks)),
        medium_risks=draw(st.integers(0, risks)),
        overdue_reviews=draw(st.integers(0, risks)),
        initiatives=initiatives,
        initiatives_due=due,
        initiatives_done=draw(st.integers(0, due)),
        steering_months=window,
        steering_held=draw(st.integers(0, window)),
        policies_current=draw(st.integers(0, 6)),
        expired_acceptances=draw(st.integers(0, risks)),
        review_completed_on=draw(st.none() | st.dates(dt.date(2023, 1, 1), dt.date(2026, 10, 31))),
        alignment_possible=possible,
        alignment_halves=draw(st.integers(0, 2 * possible)),
        standards_applicable=draw(counts),
        standards_aligned=draw(counts),
        high_priority_gaps=draw(counts),
        assets_current=draw(counts),
        assets_expiring=draw(counts),
        assets_unsupported=draw(counts),
        assets_unknown=draw(counts),
    )


@st.composite
def any_weights(draw) -> dict[str, float]:
    """Eight weights, or version 1's six (carried over)."""
    keys = draw(st.sampled_from([KEYS, KEYS[:6]]))
    raw = draw(st.lists(st.integers(0, 100), min_size=len(keys), max_size=len(keys)).filter(any))
    return {key: value / sum(raw) for key, value in zip(keys, raw, strict=True)}


@given(any_inputs(), st.none() | any_weights())
def test_every_score_is_between_0_and_100_and_between_its_components(health, weights):
    result = score(health, weights)
    given_scores = [c.score for c in result.components if c.score is not None]
    assert all(0 <= s <= 100 for s in given_scores)
    assert min(given_scores) <= result.score <= max(given_scores)
    assert result.band == band(result.score)


@given(any_inputs(), st.none() | any_weights())
def test_weights_of_components_with_data_sum_to_1(health, weights):
    result = score(health, weights)
    assert math.isclose(sum(c.weight for c in result.components if c.score is not None), 1, abs_tol=1e-9)
    assert all(c.weight == 0 for c in result.components if c.score is None)


@given(st.integers(1, 5000), st.integers(0, 10**5), st.integers(0, 10**5))
def test_more_tickets_never_raise_the_tickets_score(employees, tickets, more):
    fewer = component(score(inputs(employees=employees, tickets=tickets)), "tickets").score
    assert component(score(inputs(employees=employees, tickets=tickets + more)), "tickets").score <= fewer


NOUNS = "ticket|employee|line|month|review|initiative|polic(?:y|ie)|asset|standard|gap|risk"
SINGULAR_AFTER_MANY = re.compile(rf"\b(?:0|[2-9]|\d\d+) (?:{NOUNS})\b(?!s)")
PLURAL_AFTER_ONE = re.compile(rf"(?<![\d.,])\b1 (?:{NOUNS})s\b")
ONE_OF_ARE = re.compile(r"\b1 of (?:the )?[^.]*? are\b")
MANY_OF_IS = re.compile(r"\b(?:0|[2-9]|\d\d+) of (?:the )?[^.]*? is\b")


@given(st.integers(0, 3), st.integers(1, 3), st.integers(0, 12), st.integers(1, 12), st.integers(0, 6),
       st.integers(0, 3))
@settings(max_examples=300, deadline=None)
def test_every_sentence_agrees_in_number(n, due, tickets, months, policies, lines):
    """"1 of the 6 required policies is approved", "1 ticket", "2 reviews": never the other way round."""
    result = score(inputs(
        tickets=tickets, employees=n or 1, budget_lines=1 + lines, unplanned_lines=lines, fiscal_months_elapsed=months,
        planned=Decimal(1000), actual=Decimal(100), risks=1, overdue_reviews=n, initiatives=due,
        initiatives_due=due, initiatives_done=min(n, due), steering_months=months, steering_held=min(n, months),
        policies_current=policies, expired_acceptances=n, **REVIEW, alignment_possible=due, alignment_halves=due,
        standards_applicable=due, standards_aligned=n, high_priority_gaps=n, assets_current=tickets,
        assets_expiring=n, assets_unsupported=n, assets_unknown=n,
    ))
    for c in result.components:
        for wrong in (SINGULAR_AFTER_MANY, PLURAL_AFTER_ONE, ONE_OF_ARE, MANY_OF_IS):
            assert not wrong.search(c.explanation), c.explanation


def test_one_of_many_is_singular():
    policies = component(score(inputs(policies_current=1)), "policies")
    assert policies.explanation == (
        "1 of the 6 required policies is approved and within their review date at the end of 2026-10."
    )
    plan = component(score(inputs(initiatives=3, initiatives_due=3, initiatives_done=1)), "plan")
    assert plan.explanation == "1 of the 3 initiatives due by 2026-10 is done."


# ---- version 2: alignment, lifecycle, expired acceptances, weights ----------------------------


def aligned(completed_on: dt.date, possible: int = 20, halves: int = 30, month: dt.date = OCTOBER, **counts):
    fields = {"standards_applicable": 10, "standards_aligned": 6, "high_priority_gaps": 2, **counts}
    return component(score(inputs(month=month, review_completed_on=completed_on, alignment_possible=possible,
                                  alignment_halves=halves, **fields)), "alignment")


def test_alignment_is_the_weighted_share_of_the_latest_review_and_explains_it():
    # 31 of 44 aligned: sum(w) = 100, sum(w * v) = 76.5 (in halves 153), rounded half up.
    result = aligned(dt.date(2026, 10, 14), possible=100, halves=153, standards_applicable=44, standards_aligned=31,
                     high_priority_gaps=5)
    assert result.score == 77
    assert result.explanation == (
        "Aligned with 31 of 44 applicable standards in the review completed 2026-10-14 (5 high-priority gaps)."
    )
    one = aligned(dt.date(2026, 10, 14), possible=5, halves=10, standards_applicable=1, standards_aligned=1,
                  high_priority_gaps=1)
    assert (one.score, one.explanation) == (
        100, "Aligned with 1 of 1 applicable standard in the review completed 2026-10-14 (1 high-priority gap).")


@pytest.mark.parametrize(
    ("month", "completed_on", "expected"),
    [
        (OCTOBER, dt.date(2025, 10, 31), 75),  # exactly 12 months before the end of 2026-10: still current
        (OCTOBER, dt.date(2025, 10, 30), 55),  # a day more: 20 points off
        (OCTOBER, dt.date(2023, 1, 1), 55),
        (dt.date(2025, 2, 1), dt.date(2024, 2, 28), 75),  # 2025-02-28 less 12 months
        (dt.date(2025, 2, 1), dt.date(2024, 2, 27), 55),
        (dt.date(2024, 2, 1), dt.date(2023, 2, 28), 75),  # 2024-02-29 less 12 months is 2023-02-28
        (dt.date(2024, 2, 1), dt.date(2023, 2, 27), 55),
    ],
)
def test_a_review_more_than_12_months_old_loses_20_points(month, completed_on, expected):
    assert aligned(completed_on, month=month).score == expected


def test_the_staleness_deduction_stops_at_0_and_is_explained():
    stale = aligned(dt.date(2025, 9, 1), possible=10, halves=3)  # 15, less 20
    assert stale.score == 0
    assert stale.explanation == (
        "Aligned with 6 of 10 applicable standards in the review completed 2025-09-01 (2 high-priority gaps), "
        "less 20 points: it is more than 12 months old."
    )


def test_alignment_has_no_data_without_a_review_or_when_nothing_applies():
    missing = component(score(inputs()), "alignment")
    assert (missing.score, missing.weight, missing.explanation) == (
        None, 0.0, "No best-practice review was completed by the end of 2026-10.")
    # Every answer NOT_APPLICABLE: sum(w) is 0.
    nothing = aligned(dt.date(2026, 10, 14), possible=0, halves=0, standards_applicable=0)
    assert (nothing.score, nothing.weight, nothing.explanation) == (
        None, 0.0, "No standard applies in the review completed 2026-10-14.")


@pytest.mark.parametrize(
    ("current", "expiring", "unsupported", "unknown", "expected"),
    [
        (30, 5, 3, 2, 86),  # (30 + 2.5) / 38 = 85.5: unknown left out
        (4, 0, 0, 0, 100),
        (0, 4, 0, 0, 50),
        (0, 0, 4, 9, 0),
        (1, 1, 1, 0, 50),
        (2, 1, 0, 0, 83),  # 83.3
        (0, 1, 7, 0, 6),  # 6.25
        (0, 0, 0, 3, None),  # none has a date
        (0, 0, 0, 0, None),
    ],
)
def test_lifecycle_counts_current_and_half_of_expiring_against_assets_with_dates(
    current, expiring, unsupported, unknown, expected
):
    result = score(inputs(assets_current=current, assets_expiring=expiring, assets_unsupported=unsupported,
                          assets_unknown=unknown))
    assert component(result, "lifecycle").score == expected


def test_lifecycle_explains_its_figures():
    def sentence(**counts):
        return component(score(inputs(**counts)), "lifecycle").explanation

    assert sentence(assets_current=30, assets_expiring=5, assets_unsupported=3, assets_unknown=2) == (
        "3 of 40 assets are past their replacement date and 5 reach it within 6 months; 2 have no lifecycle dates."
    )
    assert sentence(assets_current=3, assets_expiring=1, assets_unsupported=1, assets_unknown=1) == (
        "1 of 6 assets is past its replacement date and 1 reaches it within 6 months; 1 has no lifecycle dates."
    )
    assert sentence(assets_current=1) == "0 of 1 asset are past their replacement date and 0 reach it within 6 months."
    assert sentence(assets_unknown=2) == "None of the 2 assets in service has lifecycle dates."
    assert sentence() == "No assets were in service at the end of 2026-10."


def test_expired_acceptances_are_named_in_the_risks_sentence():
    """They are counted by level with the open risks (app/health/inputs.py); the sentence says how many."""
    one = component(score(inputs(risks=3, high_risks=1, expired_acceptances=1)), "risks")
    assert (one.score, one.explanation) == (90, (
        "0 critical, 1 high and 0 medium open risks, with 0 reviews overdue at the end of 2026-10; "
        "1 accepted risk past its acceptance date is counted as open."))
    two = component(score(inputs(risks=3, expired_acceptances=2)), "risks")
    assert two.explanation.endswith("; 2 accepted risks past their acceptance date are counted as open.")
    assert not component(score(inputs(risks=3)), "risks").explanation.count(";")


V1_OWN = {"tickets": 0.40, "risks": 0.20, "budget": 0.10, "plan": 0.10, "policies": 0.10, "steering": 0.10}


def test_a_practices_version_1_weights_carry_over_scaled_to_three_quarters():
    assert carried_over(V1_OWN) == {"tickets": 0.3, "risks": 0.15, "budget": 0.075, "plan": 0.075, "policies": 0.075,
                                    "steering": 0.075, "alignment": 0.15, "lifecycle": 0.10}
    assert carried_over(None) == DEFAULT_WEIGHTS
    eight = {**DEFAULT_WEIGHTS, "tickets": 0.1, "alignment": 0.25}
    assert carried_over(eight) == eight
    # The defaults of version 1 carried over are not version 2's defaults: tickets 0.1875, not 0.20.
    v1_defaults = {"tickets": 0.25, "risks": 0.20, "budget": 0.15, "plan": 0.15, "policies": 0.15, "steering": 0.10}
    assert carried_over(v1_defaults)["tickets"] == 0.1875


def test_carried_over_weights_are_reweighted_over_the_components_with_data():
    health = inputs(tickets=16, policies_current=6, steering_months=0, **REVIEW, alignment_possible=10,
                    alignment_halves=10)  # 50, 100, 50; steering has no month yet
    result = score(health, V1_OWN)
    weights = {c.key: c.weight for c in result.components if c.score is not None}
    # tickets 0.3, policies 0.075, alignment 0.15 of 0.525
    assert weights == pytest.approx({"tickets": 0.3 / 0.525, "policies": 0.075 / 0.525, "alignment": 0.15 / 0.525})
    assert result.score == 57  # (15 + 7.5 + 7.5) / 0.525 = 57.14

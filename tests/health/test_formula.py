"""The formula, hand-worked per component and in total, and its properties under random inputs."""

from __future__ import annotations

import datetime as dt
import math
import re
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.health.formula import DEFAULT_WEIGHTS, KEYS, HealthInputs, band, score

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
            tickets=16,  # 50 x 0.25
            **BUDGET, actual=Decimal(66000),  # 80 x 0.15
            risks=2, critical_risks=1, high_risks=1,  # 65 x 0.20
            initiatives=4, initiatives_due=4, initiatives_done=3,  # 75 x 0.15
            steering_months=3, steering_held=2,  # 67 x 0.10
            policies_current=4,  # 67 x 0.15
        )
    )
    # 12.5 + 12 + 13 + 11.25 + 6.7 + 10.05 = 65.5
    assert (result.score, result.band) == (66, "YELLOW")
    assert [c.key for c in result.components] == list(KEYS)
    assert {c.key: c.weight for c in result.components} == pytest.approx(DEFAULT_WEIGHTS)


def test_components_without_data_drop_out_and_the_rest_are_reweighted():
    result = score(inputs(steering_months=3, steering_held=2, policies_current=3))  # 67 and 50
    weights = {c.key: c.weight for c in result.components}
    assert weights == pytest.approx({"tickets": 0, "budget": 0, "risks": 0, "plan": 0, "steering": 0.4, "policies": 0.6})
    assert result.score == 57  # 26.8 + 30


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
    )


@st.composite
def any_weights(draw) -> dict[str, float]:
    raw = draw(st.lists(st.integers(0, 100), min_size=6, max_size=6).filter(any))
    return {key: value / sum(raw) for key, value in zip(KEYS, raw, strict=True)}


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


NOUNS = "ticket|employee|line|month|review|initiative|polic(?:y|ie)"
SINGULAR_AFTER_MANY = re.compile(rf"\b(?:0|[2-9]|\d\d+) (?:{NOUNS})\b(?!s)")
PLURAL_AFTER_ONE = re.compile(rf"(?<![\d.,])\b1 (?:{NOUNS})s\b")
ONE_OF_ARE = re.compile(r"\b1 of the [^.]*? are\b")
MANY_OF_IS = re.compile(r"\b(?:0|[2-9]|\d\d+) of the [^.]*? is\b")


@given(st.integers(0, 3), st.integers(1, 3), st.integers(0, 12), st.integers(1, 12), st.integers(0, 6),
       st.integers(0, 3))
@settings(max_examples=300, deadline=None)
def test_every_sentence_agrees_in_number(n, due, tickets, months, policies, lines):
    """"1 of the 6 required policies is approved", "1 ticket", "2 reviews": never the other way round."""
    result = score(inputs(
        tickets=tickets, employees=n or 1, budget_lines=1 + lines, unplanned_lines=lines, fiscal_months_elapsed=months,
        planned=Decimal(1000), actual=Decimal(100), risks=1, overdue_reviews=n, initiatives=due,
        initiatives_due=due, initiatives_done=min(n, due), steering_months=months, steering_held=min(n, months),
        policies_current=policies,
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

"""The typed views of Stripe's objects read amounts as integer minor units only: a
non-integer is refused naming the field and the value, never read as 0 or rounded."""

from __future__ import annotations

import pytest

from donation_drive.errors import InvalidAmount
from donation_drive.providers.stripe import (
    charge_from,
    dispute_from,
    payment_intent_from,
    refund_from,
)


@pytest.mark.parametrize(
    "parse, field",
    [
        (payment_intent_from, "amount"),
        (payment_intent_from, "amount_received"),
        (charge_from, "amount"),
        (charge_from, "amount_refunded"),
        (refund_from, "amount"),
        (dispute_from, "amount"),
    ],
)
@pytest.mark.parametrize("value, shown", [(12.5, "12.5"), ("1250", "'1250'"), (False, "False")])
def test_an_amount_that_is_no_integer_is_refused_by_name(parse, field, value, shown):
    with pytest.raises(InvalidAmount) as error:
        parse({"id": "obj_1", field: value})

    assert error.value.field == field
    assert error.value.message == f"{field} must be a whole number of minor units, got {shown}"


def test_integer_amounts_are_read_as_they_are_and_absent_ones_as_zero():
    intent = payment_intent_from({"id": "pi_1", "amount": 1_250, "status": "succeeded"})
    assert (intent.amount, intent.amount_received, intent.settled_amount) == (1_250, 0, 1_250)
    assert (
        charge_from({"id": "ch_1", "amount": 1_250, "amount_refunded": 250}).amount_refunded == 250
    )

"""The widget is never rate limited, not even by an application-wide limit an operator
adds during an attack (docs/security.md): readers behind one NAT share an address,
and nginx's micro-cache is what absorbs a flood of readers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from donation_drive.extensions import limiter

APPLICATION_LIMIT = 3


@pytest.fixture
def app_overrides() -> dict[str, object]:
    return {"RATELIMIT_APPLICATION": f"{APPLICATION_LIMIT} per minute"}


@pytest.fixture(autouse=True)
def _forget_the_application_limit() -> Iterator[None]:
    # Flask-Limiter keeps application limits on its one Limiter object, which every
    # app of the test session is bound to: later apps must not inherit this one.
    yield
    limiter.limit_manager.set_application_limits([])


def test_the_widget_is_never_rate_limited_even_by_an_application_wide_limit(client, drive):
    for _ in range(APPLICATION_LIMIT * 2):
        assert client.get("/api/v1/drives/eoy").status_code == 200
        assert client.get("/widget/eoy").status_code == 200
        assert client.get("/widget/eoy.svg").status_code == 200

    # The limit is in force for the rest of the app, and the widget used none of it.
    statuses = [client.get("/healthz").status_code for _ in range(APPLICATION_LIMIT + 1)]
    assert statuses == [200] * APPLICATION_LIMIT + [429]

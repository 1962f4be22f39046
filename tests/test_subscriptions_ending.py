"""What ends a subscription: the end of its session (logging out, a revocation, expiry),
and a failing session check, which says so; nothing runs on the connection after."""

from __future__ import annotations

from tests.conftest import make_settings
from tests.faults import sql
from tests.live import EVENTS, Live, ended, serve
from tests.servers import GraphQLWebSocket
from tests.support import WAIT, SmtpServer, watching

CREATE_APP = """
mutation { createApplication(input: {name: "Late", referenceId: "late"}) { id } }
"""


def _nothing_more_on(feed: GraphQLWebSocket) -> None:
    """The connection outlived its session: no new subscription, query or mutation runs."""
    for n, operation in enumerate((EVENTS, "{ myApplications { totalCount } }", CREATE_APP)):
        feed.subscribe(operation, id=f"after-{n}")
        assert ended(feed) == "UNAUTHENTICATED", operation


def test_logging_out_ends_the_subscription(live: Live) -> None:
    dev = live.portal.developer("ada@example.com")
    feed = live.subscribe(dev.token)
    live.portal.api.data("mutation { logOut }", token=dev.token)
    assert ended(feed) == "UNAUTHENTICATED"
    _nothing_more_on(feed)
    again = live.portal.log_in(dev.email)
    assert live.portal.api.data("{ myApplications { totalCount } }", token=again) == {
        "myApplications": {"totalCount": 0}
    }


def test_a_revoked_developers_subscription_is_closed(live: Live) -> None:
    dev = live.portal.developer("ada@example.com")
    feed = live.subscribe(dev.token)
    live.portal.decide("revokeDeveloper", dev.id)
    assert ended(feed) == "UNAUTHENTICATED"
    _nothing_more_on(feed)


def test_a_failing_session_check_is_an_internal_error_not_silence(live: Live) -> None:
    feed = live.subscriber(live.portal.admin)
    assert feed.acknowledged()
    sql(live.settings.database_url, "DROP TABLE auth_session")
    # A sign-up writes to the developers, so the server forgets who holds which token.
    live.portal.sign_up("someone@example.com")
    with watching("devportal.graphql", "Traceback|auth_session") as logged:
        feed.subscribe("{ portal { name } }", id="q")
        assert ended(feed) == "INTERNAL_SERVER_ERROR"
        assert logged.seen.wait(WAIT)


def test_an_expiring_token_ends_the_subscription(database_url: str, smtp: SmtpServer) -> None:
    settings = make_settings(database_url, smtp.port, session_ttl_seconds=2)
    for live in serve(settings, smtp):
        dev = live.portal.developer("ada@example.com")
        feed = live.subscribe(dev.token)
        assert ended(feed) == "UNAUTHENTICATED"
        _nothing_more_on(feed)

"""ASGI middleware that keeps what one client sends, and how many wait, bounded.

``guards`` lists it for ``create_app``: ``body_limit.LimitBodies`` bounds what a
client may send, ``load_shedding.ShedLoad`` how many requests run at once, per
lane, and ``measure.Measure`` times requests when metrics are on. ``answers``
holds how they (and the app) answer what they refuse, and the 503 for a
database that cannot be reached.
"""

from __future__ import annotations

from starlette.middleware import Middleware

from devportal.cors import GraphQLCORS
from devportal.drain import CloseOnDrain, Drain
from devportal.logs import RequestIds
from devportal.middleware.body_limit import LimitBodies
from devportal.middleware.load_shedding import ShedLoad
from devportal.middleware.measure import Measure
from devportal.settings import Settings


def guards(settings: Settings, drain: Drain, *, measure: bool = False) -> list[Middleware]:
    """The middleware of ``create_app``, outermost first; ``measure``: metrics are on."""
    return [
        Middleware(RequestIds),
        *([Middleware(Measure)] if measure else []),
        Middleware(GraphQLCORS, origins=settings.cors_origins),
        Middleware(CloseOnDrain, drain=drain),
        Middleware(LimitBodies, max_bytes=settings.max_body_bytes),
        Middleware(
            ShedLoad,
            limit=settings.max_concurrent_requests,
            timeout=settings.queue_timeout_seconds,
        ),
    ]

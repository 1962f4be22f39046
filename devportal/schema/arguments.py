"""Arguments that many fields share, with their descriptions."""

from typing import Annotated

import strawberry
from strawberry import relay

First = Annotated[
    int | None, strawberry.argument(description="How many items: 20 if left out, at most 100.")
]
After = Annotated[
    str | None,
    strawberry.argument(description="A cursor from a previous page: the items after it."),
]
Id = Annotated[relay.GlobalID, strawberry.argument(description="The object's global ID.")]
ApplicationId = Annotated[relay.GlobalID, strawberry.argument(description="The application's ID.")]

"""Who may call a field: checked before the resolver runs."""

from typing import Any

from strawberry.permission import BasePermission

from devportal.errors import Forbidden, Unauthenticated
from devportal.models import Admin, Developer
from devportal.schema.context import Info


class IsAuthenticated(BasePermission):
    message = "You must be logged in."
    error_extensions = {"code": "UNAUTHENTICATED"}

    async def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        return info.context.account is not None


class IsAdmin(BasePermission):
    message = "Only admins can do this."
    error_extensions = {"code": "FORBIDDEN"}

    async def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        if info.context.account is None:
            raise Unauthenticated()
        return isinstance(info.context.account, Admin)


class IsDeveloper(BasePermission):
    message = "Only developers can do this."
    error_extensions = {"code": "FORBIDDEN"}

    async def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        if info.context.account is None:
            raise Unauthenticated()
        if not isinstance(info.context.account, Developer):
            raise Forbidden(self.message)
        return True

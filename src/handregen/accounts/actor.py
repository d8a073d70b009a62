"""Who is acting, at which site, in which role: what every service receives."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest

from handregen.accounts.models import Site, User
from handregen.accounts.roles import Permission, role_has
from handregen.errors import Forbidden


@dataclass(frozen=True)
class Actor:
    user: User
    site: Site
    role: str

    def can(self, permission: Permission) -> bool:
        return self.user.is_active and role_has(self.role, permission)

    def require(self, permission: Permission) -> None:
        """Raise Forbidden unless this actor's role carries `permission`."""
        if not self.can(permission):
            raise Forbidden(f"The {self.role.replace('_', ' ')} role may not do this ({permission.value}).")

    @property
    def label(self) -> str:
        return self.user.get_full_name() or self.user.username


def actor_of(request: HttpRequest) -> Actor:
    """The actor a bearer token authenticated (the API's routers run behind the token check)."""
    actor = getattr(request, "auth", None)
    assert isinstance(actor, Actor)
    return actor

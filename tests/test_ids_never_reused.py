"""An ID names one object for ever: after a delete, the next object never takes its ID.

On SQLite without AUTOINCREMENT, a new row took the highest id plus one, so the
ID of a deleted newest row came back: an admin deciding an unregistered request
by its ID decided another application's request instead.
"""

from __future__ import annotations

from tests.flows import UNREGISTER, Catalog, Portal

DELETE_REGISTRATION = "mutation($id: ID!) { deleteRegistration(id: $id) }"
DELETE_APPLICATION = "mutation($id: ID!) { deleteApplication(id: $id) }"
APPLICATION = "query($id: ID!) { application(id: $id) { id name } }"
NODE = "query($id: ID!) { node(id: $id) { id } }"
REVOKE_KEY = "mutation($id: ID!) { revokeCredential(id: $id) }"
APPROVE = "mutation($id: ID!) { approveRegistration(id: $id) { id status } }"
PENDING = "{ pendingRegistrations { nodes { id application { referenceId } } } }"


def test_an_unregistered_request_id_never_names_the_next_request(
    portal: Portal, catalog: Catalog
) -> None:
    api, admin = portal.api, portal.admin
    version = catalog.service()
    ada = portal.developer("ada@example.com")
    grace = portal.developer("grace@example.com")
    ada_app = catalog.application(ada.token, "ada-app")
    grace_app = catalog.application(grace.token, "grace-app")

    seen = []
    for unregister in ("developer", "admin"):
        old = catalog.register(ada.token, ada_app, version)["id"]
        seen.append(old)
        if unregister == "developer":
            api.data(UNREGISTER, {"id": old}, ada.token)
        else:
            api.data(DELETE_REGISTRATION, {"id": old}, admin)
        new = catalog.register(grace.token, grace_app, version)["id"]
        assert new not in seen
        seen.append(new)

        # The admin's page still shows the old request: deciding it decides nothing.
        assert api.error(APPROVE, {"id": old}, admin).code == "NOT_FOUND"
        assert api.data(NODE, {"id": old}, admin) == {"node": None}
        pending = api.data(PENDING, token=admin)["pendingRegistrations"]["nodes"]
        assert pending == [{"id": new, "application": {"referenceId": "grace-app"}}]
        api.data(UNREGISTER, {"id": new}, grace.token)


def test_a_deleted_application_or_revoked_key_id_never_comes_back(
    portal: Portal, catalog: Catalog
) -> None:
    api = portal.api
    ada = portal.developer("ada@example.com")

    old_app = catalog.application(ada.token, "first")
    old_key = catalog.key(ada.token, old_app).id
    api.data(REVOKE_KEY, {"id": old_key}, ada.token)
    kept_key = catalog.key(ada.token, old_app).id
    assert kept_key != old_key
    assert api.error(REVOKE_KEY, {"id": old_key}, ada.token).code == "NOT_FOUND"

    api.data(DELETE_APPLICATION, {"id": old_app}, ada.token)
    new_app = catalog.application(ada.token, "second")
    new_key = catalog.key(ada.token, new_app).id
    assert new_app != old_app
    assert new_key not in (old_key, kept_key)
    assert api.error(APPLICATION, {"id": old_app}, ada.token).code == "NOT_FOUND"
    assert api.error(REVOKE_KEY, {"id": kept_key}, ada.token).code == "NOT_FOUND"
    assert api.data(APPLICATION, {"id": new_app}, ada.token)["application"]["id"] == new_app

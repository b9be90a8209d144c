"""Health, OpenAPI and docs need no token (CONTRACT.md §2)."""

from __future__ import annotations

from tests.e2e.helpers import Api


def test_healthz_needs_no_token(api: Api) -> None:
    response = api.client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_openapi_describes_every_endpoint(api: Api) -> None:
    response = api.client.get("/openapi.json")
    assert response.status_code == 200
    spec = response.json()
    assert spec["openapi"].startswith("3.")
    paths = spec["paths"]
    expected = {
        "/v1/plans": {"post"},
        "/v1/plans/{plan_id}": {"get"},
        "/v1/plans/{plan_id}/events": {"get"},
        "/v1/plans/{plan_id}/verify": {"get"},
        "/v1/plans/{plan_id}/tier": {"post"},
        "/v1/plans/{plan_id}/close": {"post"},
        "/v1/plans/{plan_id}/reviews": {"post"},
        "/v1/plans/{plan_id}/contributions": {"post"},
        "/v1/plans/{plan_id}/acknowledgements": {"post"},
        "/v1/plans/{plan_id}/corrections": {"post"},
        "/v1/plans/{plan_id}/outcomes/{item_id}/progress": {"post"},
    }
    for kind in ("barriers", "provisions", "adjustments", "outcomes"):
        expected[f"/v1/plans/{{plan_id}}/{kind}"] = {"post"}
        expected[f"/v1/plans/{{plan_id}}/{kind}/{{item_id}}"] = {"patch"}
        expected[f"/v1/plans/{{plan_id}}/{kind}/{{item_id}}/end"] = {"post"}
    for path, methods in expected.items():
        assert path in paths, path
        assert methods <= set(paths[path]), (path, set(paths[path]))
    # Bearer authentication is declared.
    schemes = spec["components"]["securitySchemes"]
    assert any(s.get("scheme", "").lower() == "bearer" for s in schemes.values())


def test_docs_load_without_a_token(api: Api) -> None:
    response = api.client.get("/docs")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "/openapi.json" in response.text

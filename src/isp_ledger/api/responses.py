"""How the API answers a write."""

from __future__ import annotations

from fastapi.responses import JSONResponse

from isp_ledger.api.schemas import WriteResponse
from isp_ledger.application import WriteResult

WRITE_RESPONSES: dict[int | str, dict[str, object]] = {
    401: {"description": "no valid bearer token"},
    403: {"description": "your role may not do this"},
    404: {"description": "no such plan or item (or you may not see it)"},
    409: {"description": "a rule of the plan refuses the change"},
    412: {"description": "If-Match named a version the plan is no longer at"},
    422: {"description": "invalid input; nothing was recorded"},
}


def written(result: WriteResult) -> JSONResponse:
    body = WriteResponse.model_validate(result.body).model_dump(exclude_none=True)
    headers = {"ETag": f'"{body["version"]}"'}
    if result.replayed:
        headers["Idempotent-Replayed"] = "true"
    return JSONResponse(body, status_code=result.status_code, headers=headers)

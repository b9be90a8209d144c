"""How the API answers a write. (What each route may answer instead is documented in one place: ``problems.py``.)"""

from __future__ import annotations

from fastapi.responses import JSONResponse

from isp_ledger.api.schemas import WriteResponse
from isp_ledger.application import WriteResult


def written(result: WriteResult) -> JSONResponse:
    body = WriteResponse.model_validate(result.body).model_dump(exclude_none=True)
    headers = {"ETag": f'"{body["version"]}"'}
    if result.replayed:
        headers["Idempotent-Replayed"] = "true"
    return JSONResponse(body, status_code=result.status_code, headers=headers)

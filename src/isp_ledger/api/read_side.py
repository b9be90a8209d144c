"""The read side as a dependency of the API's routes (the read side itself is ``isp_ledger.read_side``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from isp_ledger.read_side import Freshness, ReadSide

__all__ = ["Freshness", "ReadSide", "ReadSideDep", "get_read_side"]


def get_read_side(request: Request) -> ReadSide:
    read_side: ReadSide = request.app.state.read_side
    return read_side


ReadSideDep = Annotated[ReadSide, Depends(get_read_side)]

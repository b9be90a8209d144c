"""Dependencies for routes answered from read models."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from projections.read_side import ReadSide


def get_read_side(request: Request) -> ReadSide:
    read_side: ReadSide = request.app.state.read_side
    return read_side


ReadSideDep = Annotated[ReadSide, Depends(get_read_side)]

"""The read side: read models built from the event log, each rebuildable from zero.

| read model     | serves                                          |
|----------------|-------------------------------------------------|
| current_plan   | GET /v1/plans/{plan_id} (without as_of / as_at) |
| timeline       | GET /v1/plans/{plan_id}/timeline                |
| plan_index     | GET /v1/plans                                   |
| reviews_due    | GET /v1/settings/{urn}/reviews-due              |
| quality        | GET /v1/settings/{urn}/quality                  |
| delivery       | GET /v1/plans/{plan_id}/delivery, GET /v1/settings/{urn}/delivery |
"""

from __future__ import annotations

from projections.base import ReadModel
from projections.current_plan import CurrentPlans
from projections.delivery import Delivery
from projections.plan_index import PlanIndex
from projections.quality import Quality
from projections.reviews_due import ReviewsDue
from projections.timeline import Timeline

READ_MODELS: dict[str, type[ReadModel]] = {
    model.name: model for model in (CurrentPlans, Timeline, PlanIndex, ReviewsDue, Quality, Delivery)
}

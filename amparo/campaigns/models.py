"""Campaigns and their materials, short links and their reach (issue 17, parts 1, 2 and 5; docs/campaigns.md).

The community-led monitoring of services (part 3) keeps its models in `feedback_models.py`, and the support between
organisations (part 4) in `bulletin_models.py`; both are imported at the end so Django registers them with this app.
"""

from __future__ import annotations

from .bulletin_models import *  # noqa: F403 - registers the bulletin's and library's models with this app
from .feedback_models import *  # noqa: F403 - registers the community-led monitoring's models with this app

"""Reviews: reviewers' decisions (accepted or refused), spent codes, failures and locks."""

from __future__ import annotations

from storage.repositories.base import Repository


class Reviews(Repository):
    pass

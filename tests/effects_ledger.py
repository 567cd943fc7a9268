"""Did every effect of some cases happen exactly once? The case DB's ledger against the outside world.

Shared by the tests that run many processes or hosts at once (tests/e2e/test_second_host.py) and the
city-day benchmark (bench/city_day.py): a notification row per SMS, a card row per card, a
side-effect row per print or label (all unique keys), compared with the files the outside world
received in the SMS outboxes and print spools given.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from sqlmodel import select

from models.tables import CardIssue, Notification, SideEffect
from storage.db import UnitOfWork


def files_in(folder: Path | None, pattern: str = "*") -> list[Path]:
    """Every file under `folder` (recursively) matching `pattern`, hidden files (temporaries) left out."""
    if folder is None or not folder.exists():
        return []
    return [p for p in folder.rglob(pattern) if p.is_file() and not p.name.startswith(".")]


def effects_not_once(case_ids: Iterable[str], *, outboxes: list[Path], spools: list[Path]) -> list[str]:
    """What of these cases' effects happened twice or not at all (empty: every effect happened once).

    `outboxes`: every SMS outbox folder a process may have written to; `spools`: every card print
    spool. Run it once the cases' flow runs are quiet: an effect still held then was left half done.
    """
    problems: list[str] = []
    cases = set(case_ids)
    with UnitOfWork() as uow:
        notes = [n for n in uow.session.exec(select(Notification)) if n.case_id in cases]
        cards = [c for c in uow.session.exec(select(CardIssue)) if c.case_id in cases]
        effects = [e for e in uow.session.exec(select(SideEffect)) if e.case_id in cases]
    # SMS: one file per notification key across the outboxes; every notification sent.
    sent_keys: Counter[str] = Counter()
    for outbox in outboxes:
        for path in files_in(outbox, "*.json"):
            key = json.loads(path.read_text(encoding="utf-8"))["key"]
            if key.split(":")[1] in cases:
                sent_keys[key] += 1
    problems += [f"SMS {key} sent {n} times" for key, n in sent_keys.items() if n > 1]
    problems += [f"SMS {n.key} is {n.state}" for n in notes if n.state != "sent"]
    problems += [f"SMS {n.key} has no outbox file" for n in notes if n.key not in sent_keys]
    problems += [f"SMS file {k} has no notification row" for k in set(sent_keys) - {n.key for n in notes}]
    # Cards: one PDF per card number across the spools; none printed without its row.
    spooled: Counter[str] = Counter()
    for spool in spools:
        spooled.update(p.stem for p in files_in(spool, "*.pdf") if p.parent == spool)
    numbers = {c.card_no for c in cards}
    problems += [f"card {no} spooled {n} times" for no, n in spooled.items() if n > 1 and no in numbers]
    problems += [
        f"card {c.card_no} spooled but not in the spool"
        for c in cards
        if c.spooled_at and not spooled[c.card_no]
    ]
    # Effects: none left half done by a dead writer once the runs are quiet.
    problems += [f"effect {e.key} left {e.state}" for e in effects if e.state != "done"]
    return problems

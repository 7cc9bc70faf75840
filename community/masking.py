"""Masking account data already stored: used by the data migrations of every app that keeps
text people wrote (community, escalation, notifications, kudos, accounts).

New text is masked by the services before it is saved (community.privacy); this is for rows
written before that, or before the scanner learnt a new format. It works on any model,
historical (in a migration) or current, and writes with ``update()`` so nothing else about a
row changes (a thread's generated search column follows its masked text by itself).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from community import privacy

BATCH_SIZE = 500


def mask_value(value: str) -> str:
    """``value`` with account data masked. Stored text has no bound, so a value longer than
    one scan is masked in scan-sized pieces (a number cut in two at a piece boundary is the
    one thing this can miss; bodies are far shorter than a piece)."""
    if not value:
        return value
    size = privacy.MAX_SCAN_CHARS
    return "".join(privacy.mask_account_data(value[i : i + size]).text for i in range(0, len(value), size))


def mask_stored_rows(
    model,
    fields: Iterable[str],
    *,
    derived: Callable[[dict[str, str]], dict] | None = None,
    batch_size: int = BATCH_SIZE,
) -> list[int]:
    """Mask ``fields`` of every row of ``model``. ``derived(masked_fields)`` returns further
    columns to write for a changed row (a re-rendered body_html, a new slug). Returns the
    primary keys of the rows that changed."""
    fields = list(fields)
    changed: list[int] = []
    rows = model._default_manager.order_by("pk").values_list("pk", *fields)
    for pk, *values in rows.iterator(chunk_size=batch_size):
        updates = {}
        for field, value in zip(fields, values):
            masked = mask_value(value or "")
            if masked != (value or ""):
                updates[field] = masked
        if not updates:
            continue
        if derived is not None:
            updates.update(derived({**dict(zip(fields, values)), **updates}))
        model._default_manager.filter(pk=pk).update(**updates)
        changed.append(pk)
    return changed

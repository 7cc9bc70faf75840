"""Celery tasks of the experts tier: thin wrappers taking primary keys.

sweep_offers runs from beat (with escalation's sweep period) and is the path every lapse and
expiry can rely on; sweep_offer and lapse_claim_if_due are countdown fast paths that may be
lost or delivered twice without harm.
"""

from __future__ import annotations

from celery import shared_task

from experts import services


@shared_task(name="experts.tasks.sweep_offers")
def sweep_offers() -> int:
    return services.sweep_offers()


@shared_task(name=services.SWEEP_OFFER_TASK)
def sweep_offer(offer_id: int) -> int:
    return 1 if services.expire_offer(offer_id=offer_id) is not None else 0


@shared_task(name=services.LAPSE_CLAIM_TASK)
def lapse_claim_if_due(claim_id: int) -> int:
    return services.lapse_claims(claim_id=claim_id)


@shared_task(name=services.RECOMPUTE_QUALITY_TASK)
def recompute_quality(expert_id: int) -> int:
    services.recompute_quality(expert_id=expert_id)
    return 1


@shared_task(name="experts.tasks.recompute_all_quality")
def recompute_all_quality() -> int:
    return services.recompute_all_quality()

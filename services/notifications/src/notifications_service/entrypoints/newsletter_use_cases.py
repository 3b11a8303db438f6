"""Newsletter use cases (staff): declared once, served by the generic request/reply adapter."""

from __future__ import annotations

from typing import Any

from alumni_contracts import naming
from alumni_contracts.common import Locale
from alumni_contracts.notifications import newsletters as c
from alumni_contracts.rpc import STAFF
from alumni_contracts.segments import Segment
from notifications_service.domain.newsletters import Content
from notifications_service.service_layer import newsletters as nl
from servicekit.bus import UseCase


def _content(req: c.NewsletterContent) -> Content:
    subject = {lang: s for lang, s in (("fr", req.subject_fr), ("en", req.subject_en)) if s is not None}
    body = {lang: b for lang, b in (("fr", req.body_fr), ("en", req.body_en)) if b is not None}
    return Content(subject, body)


def _segment(segment: Segment) -> dict[str, Any]:
    return segment.model_dump(mode="json")


def newsletter_out(view: nl.NewsletterView) -> c.NewsletterOut:
    n, f = view.newsletter, view.figures
    return c.NewsletterOut(
        newsletter_id=n.id, status=c.NewsletterStatus(n.status.value), subject_fr=n.content.subject.get("fr"),
        subject_en=n.content.subject.get("en"), body_fr=n.content.body.get("fr"), body_en=n.content.body.get("en"),
        segment=Segment.model_validate(n.segment), send_at=n.send_at, created_at=n.created_at,
        completed_at=n.completed_at,
        figures=c.NewsletterFigures(recipients=f.recipients, sent=f.sent, bounced=f.bounced, pending=f.pending,
                                    unsubscribed=f.unsubscribed))


def _command(name: str) -> str:
    return naming.command_subject("notifications", name)


def _query(name: str) -> str:
    return naming.query_subject("notifications", name)


NEWSLETTER_USE_CASES: list[UseCase[Any]] = [
    UseCase(subject=_command(c.CREATE_NEWSLETTER), request=c.CreateNewsletter, roles=STAFF, idempotent=True,
            message=lambda req, who: nl.CreateNewsletter(who.tenant, who.subject, _content(req), _segment(req.segment)),
            reply=newsletter_out, description="Draft a newsletter (FR/EN Markdown) to a segment."),
    UseCase(subject=_command(c.UPDATE_NEWSLETTER), request=c.UpdateNewsletter, roles=STAFF, idempotent=True,
            message=lambda req, who: nl.UpdateNewsletter(who.tenant, req.newsletter_id, _content(req),
                                                         _segment(req.segment)),
            reply=newsletter_out, description="Change a draft newsletter."),
    UseCase(subject=_command(c.SEND_NEWSLETTER), request=c.SendNewsletter, roles=STAFF, idempotent=True,
            message=lambda req, who: nl.ScheduleNewsletter(who.tenant, req.newsletter_id, req.send_at),
            reply=newsletter_out, description="Send a newsletter now or at `send_at`."),
    UseCase(subject=_command(c.CANCEL_NEWSLETTER), request=c.NewsletterRef, roles=STAFF, idempotent=True,
            message=lambda req, who: nl.CancelNewsletter(who.tenant, req.newsletter_id),
            reply=newsletter_out, description="Cancel a draft or scheduled newsletter."),
    UseCase(subject=_query(c.GET_NEWSLETTER), request=c.NewsletterRef, roles=STAFF,
            message=lambda req, who: nl.GetNewsletter(who.tenant, req.newsletter_id),
            reply=newsletter_out, description="A newsletter with its figures."),
    UseCase(subject=_query(c.LIST_NEWSLETTERS), request=c.ListNewsletters, roles=STAFF,
            message=lambda req, who: nl.ListNewsletters(who.tenant, req.limit),
            reply=lambda views: c.NewsletterList(items=[newsletter_out(v) for v in views]),
            description="The tenant's newsletters, newest first, with their figures."),
    UseCase(subject=_query(c.PREVIEW_NEWSLETTER), request=c.PreviewNewsletter, roles=STAFF,
            message=lambda req, who: nl.PreviewNewsletter(who.tenant, req.newsletter_id, req.locale.value),
            reply=lambda p: c.NewsletterPreview(recipients=p.recipients, in_segment=p.in_segment,
                                                locale=Locale(p.locale), subject=p.subject, html=p.html, text=p.text),
            description="Recipient count and a rendered sample."),
]

"""Newsletter use cases: compose (FR/EN Markdown), preview (recipient count and a rendered
sample), schedule or send now, cancel, read with figures; and the resumable fan-out.

The fan-out selects recipients from this service's own audience projection
(`servicekit.segments`, the segment contract's rules) — members of the segment with a
granted newsletter consent and a working address — and queues one message each through the
mailer API (`service_layer.mailer.queue_message`: the member's language, branded template,
preferences, `List-Unsubscribe`), whose delivery key (`domain.newsletters.delivery_key`) is the
notification's id and Message-ID: across crashes and re-runs each (newsletter, member) is
queued once and sent at most once (the mailer's ambiguous window re-sends with the same
Message-ID, which receivers deduplicate). One transaction per batch holds the messages, the
newsletter's cursor and its count.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from alumni_contracts.common import Locale
from alumni_contracts.envelope import EventData
from alumni_contracts.notifications import newsletters as contracts
from alumni_contracts.segments import Segment
from notifications_service.domain.newsletters import (
    NEWSLETTER_KIND,
    Content,
    Newsletter,
    NewsletterNotFound,
    delivery_key,
)
from notifications_service.domain.newsletters import NewsletterFannedOut as NewsletterFannedOutEvent
from notifications_service.domain.newsletters import NewsletterScheduled as NewsletterScheduledEvent
from notifications_service.domain.preferences import Category
from notifications_service.service_layer.mailer import Composer, Message, queue_messages
from notifications_service.service_layer.ports import NotificationsUnitOfWork
from servicekit import context
from servicekit.domain import DomainEvent, utcnow
from servicekit.logging import get_logger
from servicekit.segments import AudienceMember
from servicekit.uow import ContractMapper

log = get_logger(__name__)
Clock = Callable[[], datetime]


class MarkdownPort(Protocol):
    def html(self, markdown: str) -> str: ...
    def text(self, markdown: str) -> str: ...


class NewsletterRepository(Protocol):
    async def add(self, newsletter: Newsletter) -> None: ...
    async def get(self, tenant: str, newsletter_id: str) -> Newsletter | None: ...
    async def save(self, newsletter: Newsletter) -> None: ...
    async def list(self, tenant: str, limit: int) -> list[Newsletter]: ...


class AudienceReader(Protocol):
    async def page(self, tenant: str, segment: Segment, after: str | None, limit: int) -> list[AudienceMember]: ...
    async def count(self, tenant: str, segment: Segment, contactable_only: bool) -> int: ...
    async def contacts(self, tenant: str, member_ids: list[str]) -> dict[str, dict[str, Any]]: ...


@dataclass(frozen=True)
class Figures:
    recipients: int
    sent: int
    bounced: int
    pending: int
    unsubscribed: int


class FiguresReader(Protocol):
    async def __call__(self, newsletter: Newsletter) -> Figures: ...


class NewslettersUnitOfWork(NotificationsUnitOfWork, Protocol):
    @property
    def newsletters(self) -> NewsletterRepository: ...

    @property
    def audience_reader(self) -> AudienceReader: ...


# -- commands and queries -----------------------------------------------------------------------

@dataclass(frozen=True)
class CreateNewsletter:
    tenant: str
    by: str
    content: Content
    segment: dict[str, Any]


@dataclass(frozen=True)
class UpdateNewsletter:
    tenant: str
    newsletter_id: str
    content: Content
    segment: dict[str, Any]


@dataclass(frozen=True)
class ScheduleNewsletter:
    tenant: str
    newsletter_id: str
    send_at: datetime | None


@dataclass(frozen=True)
class CancelNewsletter:
    tenant: str
    newsletter_id: str


@dataclass(frozen=True)
class GetNewsletter:
    tenant: str
    newsletter_id: str


@dataclass(frozen=True)
class ListNewsletters:
    tenant: str
    limit: int


@dataclass(frozen=True)
class PreviewNewsletter:
    tenant: str
    newsletter_id: str
    locale: str


@dataclass(frozen=True)
class NewsletterView:
    newsletter: Newsletter
    figures: Figures


@dataclass(frozen=True)
class Preview:
    recipients: int
    in_segment: int
    locale: str
    subject: str
    html: str
    text: str


async def _load(uow: NewslettersUnitOfWork, tenant: str, newsletter_id: str) -> Newsletter:
    newsletter = await uow.newsletters.get(tenant, newsletter_id)
    if newsletter is None:
        raise NewsletterNotFound(newsletter_id)
    return newsletter


async def create_newsletter(cmd: CreateNewsletter, uow: NewslettersUnitOfWork, figures: FiguresReader,
                            clock: Clock = utcnow) -> NewsletterView:
    async with uow:
        newsletter = Newsletter.draft(tenant=cmd.tenant, content=cmd.content, segment=cmd.segment, by=cmd.by,
                                      now=clock())
        await uow.newsletters.add(newsletter)
        await uow.commit()
    return NewsletterView(newsletter, Figures(0, 0, 0, 0, 0))


async def update_newsletter(cmd: UpdateNewsletter, uow: NewslettersUnitOfWork, figures: FiguresReader
                            ) -> NewsletterView:
    async with uow:
        newsletter = await _load(uow, cmd.tenant, cmd.newsletter_id)
        newsletter.edit(cmd.content, cmd.segment)
        await uow.newsletters.save(newsletter)
        await uow.commit()
    return NewsletterView(newsletter, Figures(0, 0, 0, 0, 0))


async def schedule_newsletter(cmd: ScheduleNewsletter, uow: NewslettersUnitOfWork, figures: FiguresReader,
                              wake_fan_out: Callable[[], None], clock: Clock = utcnow) -> NewsletterView:
    async with uow:
        newsletter = await _load(uow, cmd.tenant, cmd.newsletter_id)
        newsletter.schedule(cmd.send_at, clock())
        await uow.newsletters.save(newsletter)
        await uow.commit()
    wake_fan_out()
    return NewsletterView(newsletter, await figures(newsletter))


async def cancel_newsletter(cmd: CancelNewsletter, uow: NewslettersUnitOfWork, figures: FiguresReader
                            ) -> NewsletterView:
    async with uow:
        newsletter = await _load(uow, cmd.tenant, cmd.newsletter_id)
        newsletter.cancel()
        await uow.newsletters.save(newsletter)
        await uow.commit()
    return NewsletterView(newsletter, await figures(newsletter))


async def get_newsletter(query: GetNewsletter, uow: NewslettersUnitOfWork, figures: FiguresReader
                         ) -> NewsletterView:
    async with uow:
        newsletter = await _load(uow, query.tenant, query.newsletter_id)
    return NewsletterView(newsletter, await figures(newsletter))


async def list_newsletters(query: ListNewsletters, uow: NewslettersUnitOfWork, figures: FiguresReader
                           ) -> list[NewsletterView]:
    async with uow:
        found = await uow.newsletters.list(query.tenant, query.limit)
    return [NewsletterView(n, await figures(n)) for n in found]


def message_values(newsletter: Newsletter, lang: str, markdown: MarkdownPort, brand_name: str) -> dict[str, Any]:
    body = newsletter.content.body[lang]
    return {"title": newsletter.content.subject[lang], "body_html": markdown.html(body),
            "body_text": markdown.text(body), "brand_name": brand_name}


async def preview_newsletter(query: PreviewNewsletter, uow: NewslettersUnitOfWork, composer: Composer,
                             markdown: MarkdownPort) -> Preview:
    async with uow:
        newsletter = await _load(uow, query.tenant, query.newsletter_id)
        segment = Segment.model_validate(newsletter.segment)
        in_segment = await uow.audience_reader.count(query.tenant, segment, False)
        recipients = await uow.audience_reader.count(query.tenant, segment, True)
    lang = newsletter.content.language_for(query.locale)
    brand = composer.brand(query.tenant)
    values = message_values(newsletter, lang, markdown, brand.name)
    rendered = composer.renderer.render_email(NEWSLETTER_KIND, lang, {
        **values, "first_name": "Camille", "last_name": "Exemple", "unsubscribe_url": "#"}, brand)
    return Preview(recipients, in_segment, lang, rendered.subject, values["body_html"], rendered.text)


# -- the fan-out ---------------------------------------------------------------------------------

READ_AHEAD_BATCHES = 25


@dataclass(frozen=True)
class FanOutResult:
    batches: int
    queued: int
    done: bool


@dataclass(frozen=True)
class Backpressure:
    """The fan-out waits while `max_pending` of the newsletter's messages are queued and not yet
    settled (the figures' counters, point reads): the delivery queue stays short, so claiming from
    it stays cheap (on the stand-in a claim costs time per pending entry: DESIGN §9, measured
    ~0.1 s per 1,000) and a welcome or a receipt queued meanwhile is not behind 100,000 messages."""

    figures: FiguresReader
    max_pending: int
    stopping: Callable[[], bool] = lambda: False
    poll_seconds: float = 0.2


async def fan_out(tenant: str, newsletter_id: str, uow_factory: Callable[[], NewslettersUnitOfWork],
                  composer: Composer, markdown: MarkdownPort, batch_size: int, wake_mailer: Callable[[], None],
                  clock: Clock = utcnow, max_batches: int | None = None,
                  backpressure: Backpressure | None = None) -> FanOutResult:
    """Queue the newsletter's messages batch by batch from its cursor; resumable at any point."""
    batches = queued = 0
    values_by_lang: dict[str, dict[str, Any]] = {}
    # Members read ahead of the cursor, many batches at a time: on the stand-in the segment's
    # query scans the audience whatever its limit (a filter on fields outside the index), so one
    # read per batch made the fan-out quadratic in the audience's size.
    ahead: list[AudienceMember] = []
    ahead_from: str | None = None
    while max_batches is None or batches < max_batches:
        if backpressure is not None and await _must_wait(backpressure, uow_factory, tenant, newsletter_id, clock):
            if backpressure.stopping():
                return FanOutResult(batches, queued, False)
            wake_mailer()
            await asyncio.sleep(backpressure.poll_seconds)
            continue
        async with uow_factory() as uow:
            newsletter = await uow.newsletters.get(tenant, newsletter_id)
            now = clock()
            if newsletter is None or not newsletter.due(now):
                return FanOutResult(batches, queued, True)
            segment = Segment.model_validate(newsletter.segment)
            if not ahead or ahead_from != newsletter.cursor:
                ahead = await uow.audience_reader.page(tenant, segment, newsletter.cursor,
                                                       batch_size * READ_AHEAD_BATCHES)
            members, ahead = ahead[:batch_size], ahead[batch_size:]
            if not members:
                newsletter.fanned_out(now)
                await uow.newsletters.save(newsletter)
                await uow.commit()
                log.info("newsletter fanned out", newsletter_id=newsletter_id, recipients=newsletter.queued)
                return FanOutResult(batches, queued, True)
            brand = composer.brand(tenant)
            contacts = await uow.audience_reader.contacts(tenant, [m.member_id for m in members])
            messages: list[Message] = []
            for member in members:
                if member.member_id not in contacts:
                    continue  # not (yet) in the contact projection: nowhere to send, no consent on record
                lang = newsletter.content.language_for(member.locale)
                if lang not in values_by_lang:
                    values_by_lang[lang] = message_values(newsletter, lang, markdown, brand.name)
                messages.append(Message(
                    tenant=tenant, member_id=member.member_id, kind=NEWSLETTER_KIND, category=Category.NEWSLETTERS,
                    marketing=True, cause=newsletter_id, per_member=True, about=newsletter_id, locale=lang,
                    key=delivery_key(newsletter_id, member.member_id), values=values_by_lang[lang]))
            # One flow per newsletter: its messages share the correlation id (the newsletter's), so
            # the mailer settles them — and announces them sent — many in one transaction.
            with context.handling(context.resuming(context.Origin(newsletter_id, newsletter_id), tenant)):
                count = sum(bool(q) for q in await queue_messages(messages, uow, composer, contacts))
            newsletter.queued_batch(members[-1].member_id, count)
            await uow.newsletters.save(newsletter)
            await uow.commit()
        ahead_from = newsletter.cursor  # what is left ahead follows this cursor (once committed)
        batches, queued = batches + 1, queued + count
        wake_mailer()
    return FanOutResult(batches, queued, False)


async def _must_wait(backpressure: Backpressure, uow_factory: Callable[[], NewslettersUnitOfWork], tenant: str,
                     newsletter_id: str, clock: Clock) -> bool:
    async with uow_factory() as uow:
        newsletter = await uow.newsletters.get(tenant, newsletter_id)
    if newsletter is None or not newsletter.due(clock()):
        return False  # the next step ends the fan-out
    return (await backpressure.figures(newsletter)).pending >= backpressure.max_pending


DueNewsletters = Callable[[datetime], Any]  # async: (tenant, id) of newsletters due at `now`


async def fan_out_due(due: Callable[[datetime], Any], uow_factory: Callable[[], NewslettersUnitOfWork],
                      composer: Composer, markdown: MarkdownPort, batch_size: int, wake_mailer: Callable[[], None],
                      clock: Clock = utcnow, backpressure: Backpressure | None = None) -> int:
    """Every newsletter due now (scheduled time reached, or interrupted mid-way), fanned out."""
    total = 0
    for tenant, newsletter_id in await due(clock()):
        result = await fan_out(tenant, newsletter_id, uow_factory, composer, markdown, batch_size, wake_mailer,
                               clock, backpressure=backpressure)
        total += result.queued
    return total


HANDLERS = (create_newsletter, update_newsletter, schedule_newsletter, cancel_newsletter, get_newsletter,
            list_newsletters, preview_newsletter)


def newsletter_contract(event: DomainEvent, fallback: ContractMapper) -> EventData | Sequence[EventData] | None:
    """The newsletter's own events → contracts; anything else → the service's mapping."""
    match event:
        case NewsletterScheduledEvent():
            return contracts.NewsletterScheduled(
                newsletter_id=event.newsletter_id, send_at=event.send_at,
                segment=Segment.model_validate(event.segment), languages=[Locale(x) for x in event.languages])
        case NewsletterFannedOutEvent():
            return contracts.NewsletterFannedOut(newsletter_id=event.newsletter_id, recipients=event.recipients,
                                                 completed_at=event.at)
    return fallback(event)

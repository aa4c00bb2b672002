"""Telling people: in the app (every time), and by text message or e-mail through the outbox,
which the worker sends with a sender the county plugs in (a file in var/ by default)."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from .models import Channel, Notification, OutboxMessage, OutboxStatus

if TYPE_CHECKING:
    from shouwang.accounts.models import User

log = logging.getLogger(__name__)


def notify(
    users: Iterable[User],
    *,
    text: str,
    url: str = "",
    key: str,
    private: bool = False,
    urgent: bool = False,
) -> int:
    """Tell each user once about ``key``; telling them again is a no-op, even from two workers
    at the same moment. Returns how many were told now. A person met twice (two roles at one
    school) is told once. Where a phone or an e-mail address is known, the text is put in the
    outbox in the same transaction as the notice (the caller's, when there is one): a rollback
    sends nothing, a crash after the commit loses nothing, and the worker sends it
    (``deliver_due``). ``private`` texts say only that something waits in Shouwang (counseling
    stays inside the audited system); ``urgent`` ones leave before the routine reminders."""
    users = list({u.pk: u for u in users if u is not None}.values())
    outside = _("Something new is waiting for you in Shouwang.") if private else text
    told_now = 0
    with transaction.atomic():
        told = set(
            Notification.objects.filter(key=key, user__in=users).values_list("user_id", flat=True)
        )
        for user in users:
            if user.pk in told:
                continue
            try:
                with transaction.atomic():
                    note = Notification.objects.create(user=user, text=text[:300], url=url, key=key)
                    OutboxMessage.objects.bulk_create(_outgoing(note, user, outside, urgent))
            except IntegrityError:  # another worker told them at this very moment
                continue
            told_now += 1
    return told_now


def _outgoing(note: Notification, user: User, text: str, urgent: bool) -> list[OutboxMessage]:
    addresses = ((Channel.SMS, user.phone.strip()), (Channel.EMAIL, user.email.strip()))
    return [
        OutboxMessage(
            notification=note, channel=channel, address=address, text=text[:300], urgent=urgent
        )
        for channel, address in addresses
        if address
    ]


def tell_mentioned(
    text: str,
    *,
    by: User,
    about: str,
    url: str,
    key: str,
    may_see: Callable[[User], bool],
    private: bool = False,
) -> None:
    """In the caller's transaction, tell whoever ``text`` names as ``@username`` (see below):
    kept and sent with the write, or neither."""
    if "@" in text:
        notify_mentions(
            text, by=by, about=about, url=url, key=key, may_see=may_see, private=private
        )


MENTION = re.compile(r"@([\w.+-]{2,150})")


def notify_mentions(
    text: str,
    *,
    by: User,
    about: str,
    url: str,
    key: str,
    may_see: Callable[[User], bool],
    private: bool = False,
) -> int:
    """Tell the people named as ``@username`` in ``text`` — those who may see what it is about;
    a name that does not exist or may not see it is passed over silently (no leak either way)."""
    from shouwang.accounts.models import User as UserModel

    names = set(MENTION.findall(text)) - {by.get_username()}
    if not names:
        return 0
    people = [u for u in UserModel.objects.filter(username__in=names, is_active=True) if may_see(u)]
    told = _("%(who)s mentioned you: %(about)s") % {"who": by.display_name, "about": about}
    return notify(people, text=told, url=url, key=f"mention-{key}", private=private)


def mark_read(user: User, pk: int | None = None) -> int:
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if pk is not None:
        unread = unread.filter(pk=pk)
    return unread.update(read_at=timezone.now())


# --- text messages ---------------------------------------------------------------------------


class Sender(Protocol):
    """A county's SMS gateway: ``SHOUWANG_SMS_SENDER`` names a class with this method."""

    def send(self, phone: str, text: str) -> None: ...


class FileSender:
    """Writes each message to var/outbox.log: the default until a gateway is configured."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or settings.VAR_DIR / "outbox.log"

    def send(self, phone: str, text: str) -> None:
        stamp = datetime.now().astimezone().isoformat(timespec="seconds")
        with self.path.open("a", encoding="utf-8") as out:
            out.write(f"{stamp}\t{phone}\t{text}\n")


class ConsoleSender:
    def send(self, phone: str, text: str) -> None:
        log.warning("SMS to %s: %s", phone, text)


def sms_sender() -> Sender:
    sender: Sender = import_string(settings.SHOUWANG_SMS_SENDER)()
    return sender


# --- the outbox: the worker sends ------------------------------------------------------------

# A claim outlasts the worker's task timeout (Q_CLUSTER "timeout", 120 s), so a row is claimed
# again only once the worker that held it has surely stopped.
CLAIM = timedelta(minutes=5)
# Tries before a message is given up (failed, logged, the sysadmins told): with the waits
# below, about two hours of a gateway down.
MAX_ATTEMPTS = 8
# A run takes no new message after this long, so the worker's timeout never cuts one short.
RUN_SECONDS = 90.0


def retry_delay(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failed try: 1, 2, 4 … minutes, at most an hour."""
    return timedelta(minutes=min(2 ** (attempts - 1), 60))


@dataclass
class Delivery:
    sent: int = 0
    retrying: int = 0
    failed: int = 0


def deliver_due(*, seconds: float = RUN_SECONDS) -> Delivery:
    """The worker's run (every minute, and after an escalation): send every message that is
    due, urgent ones first, one claimed row at a time. Runs outside any transaction, so each
    claim is committed before its message leaves: another run, at the same moment or after
    this process died, passes over it until the claim runs out. A sender that raises loses
    nothing: the message waits and is tried again."""
    started = time.monotonic()
    result = Delivery()
    senders = _Senders()
    seen: set[int] = set()
    while time.monotonic() - started < seconds:
        batch = [
            pk
            for pk in _due(timezone.now())
            .order_by("-urgent", "next_try_at", "pk")
            .values_list("pk", flat=True)[:50]
            if pk not in seen
        ]
        if not batch:
            break
        for pk in batch:
            seen.add(pk)
            if time.monotonic() - started >= seconds:
                break
            _deliver_one(pk, senders, result)
    return result


def _due(now: datetime) -> QuerySet[OutboxMessage]:
    return OutboxMessage.objects.filter(status=OutboxStatus.PENDING, next_try_at__lte=now).filter(
        Q(claimed_until__isnull=True) | Q(claimed_until__lte=now)
    )


def _deliver_one(pk: int, senders: _Senders, result: Delivery) -> None:
    now = timezone.now()
    # The claim: one conditional UPDATE. Of two workers, the second finds the row no longer
    # due (the database re-checks the condition once the first one's update is committed).
    claimed = _due(now).filter(pk=pk).update(claimed_until=now + CLAIM, attempts=F("attempts") + 1)
    if not claimed:
        return
    message = OutboxMessage.objects.select_related("notification__user").get(pk=pk)
    if message.attempts > MAX_ATTEMPTS:  # the worker stopped while sending it, every time
        _give_up(message, "the worker stopped while sending it")
        result.failed += 1
        return
    try:
        senders.send(message)
    except Exception as exc:  # a county's gateway may fail any way it likes; the message waits
        if _retry_or_give_up(message, exc):
            result.retrying += 1
        else:
            result.failed += 1
        return
    # A crash here (sent, not yet marked) sends it again once the claim runs out: at worst the
    # person gets the same text twice, never none.
    OutboxMessage.objects.filter(pk=pk, status=OutboxStatus.PENDING).update(
        status=OutboxStatus.SENT, sent_at=timezone.now(), claimed_until=None
    )
    result.sent += 1


def _retry_or_give_up(message: OutboxMessage, exc: Exception) -> bool:
    error = f"{type(exc).__name__}: {exc}"[:500]
    if message.attempts >= MAX_ATTEMPTS:
        _give_up(message, error, exc)
        return False
    OutboxMessage.objects.filter(pk=message.pk, status=OutboxStatus.PENDING).update(
        claimed_until=None,
        next_try_at=timezone.now() + retry_delay(message.attempts),
        last_error=error,
    )
    log.warning(
        "%s %s to user %s failed (try %s of %s), tried again later: %s",
        message.channel,
        message.pk,
        message.notification.user_id,
        message.attempts,
        MAX_ATTEMPTS,
        error,
    )
    return True


def _give_up(message: OutboxMessage, error: str, exc: Exception | None = None) -> None:
    """Failed for good: logged as an error and told to the sysadmins in the app (only there:
    the text or mail that fails may be theirs too). ``shouwang outbox`` lists these and
    ``shouwang outbox --retry-failed`` tries them afresh."""
    from shouwang.accounts.policy import Action, Area
    from shouwang.accounts.scope import told_at

    with transaction.atomic():
        gave_up = OutboxMessage.objects.filter(pk=message.pk, status=OutboxStatus.PENDING).update(
            status=OutboxStatus.FAILED,
            failed_at=timezone.now(),
            claimed_until=None,
            last_error=error[:500],
        )
        if not gave_up:
            return
        admins = told_at(Area.USERS, Action.ALERT, []).get(None, set())
        text = _("A %(channel)s to %(who)s could not be sent after %(n)s tries: %(error)s") % {
            "channel": message.get_channel_display(),
            "who": message.notification.user.get_username(),
            "n": message.attempts,
            "error": error,
        }
        Notification.objects.bulk_create(
            [
                Notification(user_id=admin, text=text[:300], key=f"outbox-{message.pk}-failed")
                for admin in admins
            ],
            ignore_conflicts=True,
        )
    log.error(
        "%s %s to user %s could not be sent after %s tries, given up: %s",
        message.channel,
        message.pk,
        message.notification.user_id,
        message.attempts,
        error,
        exc_info=exc,
    )


def retry_failed() -> int:
    """Once the gateway is mended, a sysadmin tries every failed message afresh."""
    retried = OutboxMessage.objects.filter(status=OutboxStatus.FAILED).update(
        status=OutboxStatus.PENDING,
        attempts=0,
        next_try_at=timezone.now(),
        claimed_until=None,
        failed_at=None,
    )
    if retried:
        log.warning("%s failed messages put back in the outbox", retried)
    return retried


class _Senders:
    """The run's SMS gateway, made on first use: a gateway that cannot even be set up fails
    each text it was to send (and they wait), not the run."""

    def __init__(self) -> None:
        self._sms: Sender | None = None

    def send(self, message: OutboxMessage) -> None:
        if message.channel == Channel.SMS:
            if self._sms is None:
                self._sms = sms_sender()
            self._sms.send(message.address, message.text)
        else:
            _email(message.address, message.text, message.notification.url)


def _email(address: str, text: str, url: str) -> None:
    body = f"{text}\n\n{settings.SHOUWANG_SITE_URL.rstrip('/')}{url}" if url else text
    send_mail(f"守望：{text[:40]}", body, None, [address])

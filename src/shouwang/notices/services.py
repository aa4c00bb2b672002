"""Telling people: in the app (every time), and by text message or e-mail through a sender the
county plugs in (a file in var/ by default)."""

from __future__ import annotations

import logging
import re
import smtplib
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from .models import Notification

if TYPE_CHECKING:
    from shouwang.accounts.models import User

log = logging.getLogger(__name__)


def notify(
    users: Iterable[User], *, text: str, url: str = "", key: str, private: bool = False
) -> int:
    """Tell each user once about ``key``; telling them again is a no-op, even from two workers
    at the same moment. Returns how many were told now. A person met twice (two roles at one
    school) is told once. Where a phone or an e-mail address is known, the text goes out too —
    only after the caller's transaction commits, and a gateway that fails is logged, never
    allowed to undo what the caller saved. ``private`` texts say only that something waits in
    Shouwang (counseling stays inside the audited system)."""
    users = list({u.pk: u for u in users if u is not None}.values())
    told = set(
        Notification.objects.filter(key=key, user__in=users).values_list("user_id", flat=True)
    )
    new = []
    for user in users:
        if user.pk in told:
            continue
        try:
            with transaction.atomic():
                Notification.objects.create(user=user, text=text[:300], url=url, key=key)
        except IntegrityError:  # another worker told them at this very moment
            continue
        new.append(user)
    if new:
        outside = _("Something new is waiting for you in Shouwang.") if private else text
        transaction.on_commit(lambda: _send(new, outside, url))
    return len(new)


def _send(users: list[User], text: str, url: str) -> None:
    sender = sms_sender()
    for user in users:
        if user.phone:
            try:
                sender.send(user.phone, text)
            except Exception:  # a county's gateway may fail any way it likes; the notice stays
                log.exception("text message to user %s failed", user.pk)
        if user.email:
            _email(user.email, text, url)


def _email(address: str, text: str, url: str) -> None:
    body = f"{text}\n\n{settings.SHOUWANG_SITE_URL.rstrip('/')}{url}" if url else text
    try:
        send_mail(f"守望：{text[:40]}", body, None, [address])
    except (OSError, smtplib.SMTPException):  # a mail server down must not stop the worker
        log.exception("e-mail failed")


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
    """After the write commits, tell whoever ``text`` names as ``@username`` (see below)."""
    if "@" in text:
        transaction.on_commit(
            lambda: notify_mentions(
                text, by=by, about=about, url=url, key=key, may_see=may_see, private=private
            )
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

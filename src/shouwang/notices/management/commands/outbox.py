"""``shouwang outbox``: what the worker has still to send and what it gave up on.

shouwang outbox                  # counts, then one line per message that could not be sent
shouwang outbox --send           # send what is due now (the worker does it every minute)
shouwang outbox --retry-failed   # once the gateway is mended, try the failed ones afresh
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from shouwang.notices import selectors, services
from shouwang.notices.models import OutboxStatus


class Command(BaseCommand):
    help = "Show the outbox of text messages and e-mails; send it now or retry the failed."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--send", action="store_true", help="send what is due now")
        parser.add_argument(
            "--retry-failed", action="store_true", help="put the failed messages back"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["retry_failed"]:
            retried = services.retry_failed()
            self.stdout.write(_("%(n)s failed messages will be tried again.") % {"n": retried})
        if options["send"]:
            done = services.deliver_due()
            self.stdout.write(
                _("Sent %(sent)s, to be tried again %(retrying)s, failed %(failed)s.")
                % {"sent": done.sent, "retrying": done.retrying, "failed": done.failed}
            )
        counts = selectors.outbox_counts()
        self.stdout.write(
            " · ".join(f"{label} {counts[status]}" for status, label in OutboxStatus.choices)
        )
        for message in selectors.failed_messages():
            failed_at = message.failed_at.isoformat(timespec="seconds") if message.failed_at else ""
            self.stdout.write(
                "\t".join(
                    [
                        str(message.pk),
                        failed_at,
                        message.channel,
                        message.notification.user.get_username(),
                        str(message.attempts),
                        message.last_error,
                    ]
                )
            )

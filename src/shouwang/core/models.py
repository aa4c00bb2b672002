"""What the platform itself keeps, below every area of the domain.

Glossary: none (nothing here is a domain word).
"""

from __future__ import annotations

from django.db import models


class Heartbeat(models.Model):
    """One row /healthz rewrites: the proof that the database still takes a write."""

    at = models.DateTimeField()

    def __str__(self) -> str:
        return f"heartbeat {self.at:%Y-%m-%d %H:%M:%S}"

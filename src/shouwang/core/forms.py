"""The phone's own pickers for dates and times. A picker reads and writes ISO values only, so each
widget renders that format whatever the language's date format is (zh-Hans would write
2026/12/01, which a date box shows as empty)."""

from __future__ import annotations

from django import forms

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")

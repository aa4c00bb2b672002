"""Widgets every app's forms share. The phone's own pickers for dates and times read and write
ISO values only, so each renders that format whatever the language's date format is (zh-Hans
would write 2026/12/01, which a date box shows as empty)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.forms.utils import flatatt
from django.utils.html import conditional_escape, escape, format_html
from django.utils.safestring import SafeString, mark_safe

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


class QuickSelect(forms.Select):
    """A drop-down that writes its options in one pass. Django's ``Select`` builds a dictionary
    and renders a template for every option (about 0.25 ms each): a county's class or village
    list (hundreds to thousands of units) became most of a page's time. Same HTML, same
    attributes; option groups as in Django (a label with a list of choices)."""

    def render(
        self,
        name: str,
        value: Any,
        attrs: dict[str, Any] | None = None,
        renderer: Any = None,
    ) -> SafeString:
        selected = {str(v) for v in self.format_value(value)}
        out: list[str] = []
        for option_value, label in self.choices:
            if isinstance(label, list | tuple):  # a group: its label, then its choices
                if option_value:
                    out.append(f'<optgroup label="{escape(option_value)}">')
                for sub_value, sub_label in label:
                    self._option(out, str(sub_value), sub_label, selected)
                if option_value:
                    out.append("</optgroup>")
            else:  # as Django: None is the empty value at the top, "None" inside a group
                top = "" if option_value is None else str(option_value)
                self._option(out, top, label, selected)
        return format_html(
            '<select name="{}"{}>{}</select>',
            name,
            flatatt(self.build_attrs(self.attrs, attrs)),
            mark_safe("".join(out)),  # noqa: S308  (every part escaped in _option)
        )

    def _option(self, out: list[str], value: str, label: Any, selected: set[str]) -> None:
        mark = " selected" if value in selected else ""
        out.append(f'<option value="{escape(value)}"{mark}>{escape(label)}</option>')
        if mark and not self.allow_multiple_selected:
            selected.clear()  # one option selected, the first that matches, as Django marks


class QuickModelChoiceField(forms.ModelChoiceField):
    """A choice of one row (a unit, a child, a caregiver) drawn with :class:`QuickSelect`."""

    widget = QuickSelect


class QuickRadioSelect(forms.RadioSelect):
    """Radio buttons each written in one pass when a template lays them out itself (``{% for
    radio in form.kind %}{{ radio.tag }}`` or ``{{ radio }}``): Django renders three templates
    for every button. The same HTML, byte for byte; the whole group (``{{ form.kind }}``) is
    still Django's."""

    def _render(self, template_name: str, context: dict[str, Any], renderer: Any = None) -> Any:
        if template_name != self.option_template_name:
            return super()._render(template_name, context, renderer)  # type: ignore[misc]
        widget = context["widget"]
        attrs = widget["attrs"]
        out = [
            f'<input type="{conditional_escape(widget["type"])}" '
            f'name="{conditional_escape(widget["name"])}"'
        ]
        if widget["value"] is not None:
            out.append(f' value="{escape(str(widget["value"]))}"')
        for name, value in attrs.items():
            if value is True:
                out.append(f" {conditional_escape(name)}")
            elif value is not False:
                out.append(f' {conditional_escape(name)}="{escape(str(value))}"')
        out.append(">")
        tag = "".join(out)
        if widget.get("wrap_label"):
            label_for = f' for="{conditional_escape(attrs["id"])}"' if attrs.get("id") else ""
            tag = f"<label{label_for}>{tag}\n {conditional_escape(widget['label'])}</label>"
        return mark_safe(tag)  # noqa: S308  (every part escaped above)

"""Form widgets of the public lists."""

from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join


class MenuSelect(forms.Select):
    """A `<select>` of hundreds of plain options, written in Python.

    Django's template renderer includes a template per option: the place and incident menus
    of the public lists (up to 2 x MENU_SIZE options) took most of a list page's time
    (60 of 95 ms at 100k persons, bench/measure.py). The markup is the same as `Select`'s for
    flat choices (no groups), and every label and value is escaped.
    """

    def render(self, name, value, attrs=None, renderer=None):
        chosen = {str(v) for v in self.format_value(value)}
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            (
                (option, " selected" if str(option) in chosen else "", label)
                for option, label in self.choices
            ),
        )
        final_attrs = self.build_attrs(self.attrs, {**(attrs or {}), "name": name})
        return format_html("<select{}>\n{}\n</select>", flatatt(final_attrs), options)

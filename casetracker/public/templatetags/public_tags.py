"""Template helpers of the public site; each one keeps a non-public row or field out of a page."""

from urllib.parse import urlsplit

from django import template
from django.conf import settings
from django.urls import translate_url
from django.utils.html import format_html, format_html_join
from django.utils.translation import get_language_info, gettext, ngettext
from django.utils.translation import gettext as _

from casetracker.cases import public
from casetracker.cases.dates import format_partial

register = template.Library()


@register.filter
def if_public(record):
    """The related record itself if the public may see it, else None (a draft place, a
    confidential source): for foreign keys whose target has its own publication state."""
    if record is None or not record.is_published:
        return None
    if getattr(record, "is_confidential", False):
        return None
    return record


@register.filter
def public_citations(fact) -> list:
    return public.public_citations(fact)


@register.filter
def postal_address(place) -> str:
    return public.public_postal_address(place)


@register.filter
def partial_date(record, prefix: str) -> str:
    """`{{ detention|partial_date:"started" }}`: a (date, precision) pair at its precision."""
    return format_partial(getattr(record, f"{prefix}_on"), getattr(record, f"{prefix}_precision"))


@register.simple_tag
def person_badges(person) -> str:
    """What a reader must know beside a person's name wherever it is listed: that the source
    names no one (a person described, not named), and that the record is made-up demo data.
    A tag rather than an included template: a search page lists twenty persons, and an include
    per entry cost more than the rest of the entry."""
    return _badges(person.is_unnamed, person.is_demo)


def _badges(is_unnamed: bool, is_demo: bool) -> str:
    badges = []
    if is_unnamed:
        badges.append(("badge-unnamed", gettext("unnamed in the source")))
    if is_demo:
        badges.append(("badge-demo", gettext("demo data")))
    return format_html_join("", '<span class="badge {}">{}</span>', badges)


@register.simple_tag
def citations(fact) -> str:
    """The public sources of one fact, folded: source (a link where its address is a web
    address), locator, confidence, whose claim it is, the quoted words. Every fact on a person's
    or an incident's page has one; a page with 200 timeline entries spent a fifth of its time
    including a template for each (docs/performance.md, public pages), so it is Python, and
    every value is escaped by format_html."""
    found = public.public_citations(fact)
    if not found:
        return ""
    items = []
    for citation in found:
        source = citation.source
        address = web_address(source.url)
        cite = format_html('<a href="{}">{}</a>', address, source) if address else source
        parts = [format_html("<cite>{}</cite>", cite)]
        if citation.locator:
            parts.append(format_html(", {}", citation.locator))
        parts.append(
            format_html(
                '\n      <span class="confidence confidence-{}">{}</span>',
                citation.confidence,
                citation.get_confidence_display(),
            )
        )
        if citation.claimed_by:
            claim = _("claim by %(who)s") % {"who": citation.claimed_by}
            parts.append(format_html('\n      <span class="claimed">{}</span>', claim))
        if citation.quote:
            parts.append(format_html("\n      <blockquote>{}</blockquote>", citation.quote))
        items.append(format_html_join("", "{}", ((part,) for part in parts)))
    count = ngettext("%(n)s source", "%(n)s sources", len(found)) % {"n": len(found)}
    return format_html(
        '<details class="sources">\n  <summary>{}</summary>\n  <ul>\n{}\n  </ul>\n</details>',
        count,
        format_html_join("\n", "    <li>\n      {}\n    </li>", ((item,) for item in items)),
    )


class _SearchPage:
    """What the entries of one search page share, worked out once a page (the render context
    lasts one render): the labels, translated; each badge set, status, date kind and date
    written once, however many persons share it."""

    def __init__(self):
        self.labels = {
            "matched": _("matched:"),
            "other_names": _("Also written:"),
            "status": _("Current status:"),
            "roles": _("Roles:"),
            "places": _("Places:"),
        }
        self.written: dict[tuple, str] = {}

    def badges(self, person) -> str:
        key = ("badges", bool(person.is_unnamed), bool(person.is_demo))
        if key not in self.written:
            self.written[key] = _badges(*key[1:])
        return self.written[key]

    def status(self, person) -> str:
        entry = person.latest_public_entry
        dated = entry is not None and entry.occurred_on is not None
        key = ("status", person.public_status) + (
            (entry.date_kind, entry.occurred_on, entry.occurred_precision) if dated else ()
        )
        if key not in self.written:
            status = person.get_public_status_display()
            if dated:
                status = f"{status}, {entry.get_date_kind_display()} {entry.date_display}"
            self.written[key] = status
        return self.written[key]


@register.simple_tag(takes_context=True)
def search_person(context, hit) -> str:
    """One person of the search results (templates/search/results.html): the name as a link,
    its badges, the name that matched where it is another, the other names, the current public
    status with its date, the roles and the places.

    Python rather than template tags: a page lists twenty persons, and fourteen template
    lookups each (every one trying a dictionary, then an attribute) were a third of the search
    page's time (docs/performance.md, search added time). One `format_html` an entry, its
    format string put together from fixed pieces only, so every value is escaped."""
    page = context.render_context.get(_SearchPage)
    if page is None:
        page = context.render_context[_SearchPage] = _SearchPage()
    labels = page.labels
    person = hit.obj
    pieces = ['<li class="search-person"><a href="{}">{}</a>{}']
    values = [person.get_absolute_url(), person.display_name, page.badges(person)]
    if hit.matched_other_name:
        pieces.append('\n<span class="matched">{} {}</span>')
        values += [labels["matched"], hit.matched]
    if person.search_other_names:
        pieces.append('\n<p class="other-names">{} {}</p>')
        values += [labels["other_names"], "; ".join(person.search_other_names)]
    if person.public_status:
        pieces.append('\n<p class="status">{} {}</p>')
        values += [labels["status"], page.status(person)]
    if person.search_roles:
        pieces.append('\n<p class="roles">{} {}</p>')
        values += [labels["roles"], ", ".join(person.search_roles)]
    if person.search_place_names:
        pieces.append('\n<p class="places">{} {}</p>')
        values += [labels["places"], ", ".join(person.search_place_names)]
    pieces.append("</li>")
    return format_html("".join(pieces), *values)


@register.simple_tag(takes_context=True)
def language_links(context, to_home: bool = False) -> list[dict]:
    """One link per language. On the same page where there is one; on an error page, to each
    language's home, so the page says nothing about the address asked for."""
    request = context.get("request")
    links = []
    for code, _name in settings.LANGUAGES:
        info = get_language_info(code)
        if not to_home and request is not None:
            url = translate_url(request.get_full_path(), code)
        else:
            url = f"/{code}/"
        links.append({"code": code, "name": info["name_local"], "url": url})
    return links


@register.filter
def web_address(url: str) -> str:
    """The address if it is an http(s) link, else "": a `javascript:` or `data:` address that
    reached the database through an import is shown as text, never as a link."""
    return url if urlsplit(url or "").scheme.lower() in {"http", "https"} else ""

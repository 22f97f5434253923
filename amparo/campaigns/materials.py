"""A campaign's materials, generated from the pathways' content each time they are asked for (issue 17, part 1).

Nothing of a pathway is copied into a campaign: a pocket card, a poster, an SMS, a WhatsApp text or a radio script is
built from the pathway as it is now (its title, summary, first steps and the helplines that apply), so a change in
a pathway changes every material at once.

- `content_for` reads one target (a pathway or a service) in one language into a `Content`; `discreet` turns it
  into the variant that names no violence: a neutral title, the lines by number and hours, and only the texts that
  pass `names_violence` (a word list per language, `data/discreet_words.json`).
- `card_pdf` (85 x 55 mm, front and back) and `poster_pdf` (A4 or A3) render a template with WeasyPrint, the fonts
  of the machine and `LocalOnlyFetcher`: nothing is fetched while rendering (the QR code is inline SVG).
- `sms_text`, `whatsapp_text` and `radio_script` write the texts; the SMS is fitted to the campaign's budget of
  segments (sms.py counts them exactly) and the radio script to 30 or 60 seconds at WORDS_PER_SECOND.
"""

from __future__ import annotations

import json
import re
import unicodedata
import uuid
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any

from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from amparo.core.i18n import localized
from amparo.core.pdf import render_pdf
from amparo.core.qr import qr_svg
from amparo.directory.models import Place, ServiceAtLocation
from amparo.pathways.models import Helpline, Pathway
from amparo.pathways.selectors import helpline_applies

from . import sms
from .models import Campaign, Material, ShortLink

FIRST_STEPS = 3
CARD_STEPS = 3
LINES_ON_CARD = 3
WORDS_FILE = Path(__file__).resolve().parent / "data" / "discreet_words.json"

# How fast a radio script is read: words per second, per language. An assumption, not a measurement: English
# broadcast copy is commonly written at about 150 words a minute (the "75 words for a 30-second spot" rule of
# radio writing); Spanish and Portuguese words carry more syllables on average (about 2 against 1.4), so a clear,
# unhurried reading for community radio, at a similar pace of syllables, says fewer words: about 130 a minute.
# Read a script aloud with a stopwatch and change these if the station's presenters read faster or slower.
WORDS_PER_SECOND: dict[str, float] = {"es": 2.2, "pt": 2.2, "en": 2.5}
RADIO_LENGTHS = (30, 60)

PAPER_SIZES = {"A4": "210mm 297mm", "A3": "297mm 420mm"}


class MaterialError(ValueError):
    """A material that cannot be made as asked; the message is for the staff (translated)."""


# --- Content --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    number: str
    name: str
    hours: str
    confirmed: bool = True


@dataclass(frozen=True)
class Step:
    title: str
    what_to_do: str
    time_limit: str


@dataclass(frozen=True)
class Content:
    """What every material of one target in one language is made from."""

    kind: str  # ShortLink.Kind
    key: str  # the pathway's slug or the service's UUID
    language: str
    title: str
    summary: str
    urgent: str
    steps: tuple[Step, ...]
    lines: tuple[Line, ...]
    where: str = ""  # a service's address and municipality
    discreet: bool = False
    dropped: int = 0  # texts left out of a discreet variant because they name violence
    extra: dict[str, Any] = field(default_factory=dict)


@cache
def _discreet_words() -> dict[str, dict[str, tuple[str, ...]]]:
    data = json.loads(WORDS_FILE.read_text(encoding="utf-8"))
    return {
        lang: {
            "prefixes": tuple(_plain(w) for w in entry["prefixes"]),
            "words": tuple(_plain(w) for w in entry["words"]),
        }
        for lang, entry in data["languages"].items()
    }


def _plain(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", text.casefold()) if not unicodedata.combining(c))


WORD = re.compile(r"\w+")


def names_violence(text: str) -> list[str]:
    """The words of `text` that name violence, in any of the three languages (a card in Spanish may still be read
    by someone who knows the English word): whole words of the list, or words starting with one of its stems."""
    lists = _discreet_words().values()
    found = []
    for word in WORD.findall(_plain(text)):
        if any(word in entry["words"] or word.startswith(entry["prefixes"]) for entry in lists):
            found.append(word)
    return found


def _lines_for(pathway: Pathway, place: Place | None, language: str) -> tuple[Line, ...]:
    lines = [h for h in pathway.helplines.all() if helpline_applies(h, place, pathway.country)]
    return tuple(_line(h, language) for h in lines)


def _line(helpline: Helpline, language: str) -> Line:
    return Line(
        number=helpline.number,
        name=localized(helpline, "name", language),
        hours=localized(helpline, "hours", language),
        confirmed=helpline.confirmed,
    )


def pathway_content(pathway: Pathway, language: str, place: Place | None = None) -> Content:
    steps = tuple(
        Step(
            title=localized(step, "title", language),
            what_to_do=localized(step, "what_to_do", language),
            time_limit=localized(step, "time_limit", language),
        )
        for step in list(pathway.steps.all())[:FIRST_STEPS]
    )
    return Content(
        kind=ShortLink.Kind.PATHWAY,
        key=pathway.slug,
        language=language,
        title=localized(pathway, "title", language),
        summary=localized(pathway, "summary", language),
        urgent=localized(pathway, "urgent_notice", language),
        steps=steps,
        lines=_lines_for(pathway, place, language),
    )


def service_content(sal: ServiceAtLocation, language: str) -> Content:
    service = sal.service
    lines = []
    if service.phone:
        lines.append(Line(number=service.phone, name=service.name, hours=""))
    if service.whatsapp and service.whatsapp != service.phone:
        lines.append(Line(number=service.whatsapp, name="WhatsApp", hours=""))
    address = ", ".join(part for part in (sal.location.address, sal.place.name) if part)
    return Content(
        kind=ShortLink.Kind.SERVICE,
        key=str(sal.uuid),
        language=language,
        title=service.name,
        summary=service.description,
        urgent="",
        steps=(),
        lines=tuple(lines),
        where=address,
    )


def discreet(content: Content) -> Content:
    """The variant that names no violence on the outside: a neutral title; no summary or urgent notice; the steps
    whose texts name none (a step's advice is dropped, its title kept, when only the advice does); the lines by
    number and hours (a line's name, "line for women victims of violence", is left out)."""
    with translation.override(content.language):
        title = _("Your health and your rights")
    dropped = 0
    steps = []
    for step in content.steps:
        if names_violence(step.title):
            dropped += 1
            continue
        keep_advice = not names_violence(step.what_to_do)
        keep_limit = not names_violence(step.time_limit)
        dropped += (not keep_advice) + (not keep_limit)
        steps.append(Step(step.title, step.what_to_do if keep_advice else "", step.time_limit if keep_limit else ""))
    lines = tuple(
        Line(number=line.number, name="", hours=line.hours, confirmed=line.confirmed) for line in content.lines
    )
    where = "" if names_violence(content.where) else content.where
    return replace(
        content,
        title=title,
        summary="",
        urgent="",
        steps=tuple(steps),
        lines=lines,
        where=where,
        discreet=True,
        dropped=dropped + bool(content.summary) + bool(content.urgent),
    )


def content_for(campaign: Campaign, kind: str, key: str, language: str) -> Content:
    """One target of the campaign in one language, read now; MaterialError when the campaign does not point to it
    (any more) or does not speak the language."""
    if language not in campaign.languages:
        raise MaterialError(_("This campaign is not in that language."))
    place = campaign_place(campaign)
    if kind == ShortLink.Kind.PATHWAY:
        pathway = campaign.pathways.prefetch_related("helplines", "steps").filter(slug=key).first()
        if pathway is None:
            raise MaterialError(_("This campaign does not point to that pathway (any more)."))
        return pathway_content(pathway, language, place)
    if kind == ShortLink.Kind.SERVICE:
        sal = (
            campaign.services.select_related("service", "location", "place").filter(uuid=key).first()
            if _is_uuid(key)
            else None
        )
        if sal is None:
            raise MaterialError(_("This campaign does not point to that service (any more)."))
        return service_content(sal, language)
    raise MaterialError(_("Unknown kind of material."))


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def campaign_place(campaign: Campaign) -> Place | None:
    """The municipality the campaign's materials are resolved for: its only place when it names exactly one (local
    lines then apply, and the pathway's page lists the nearest services); none otherwise."""
    places = list(campaign.places.select_related("parent__parent")[:2])
    return places[0] if len(places) == 1 else None


# --- Short links ----------------------------------------------------------------------------------------------------


def short_url(base_url: str, link: ShortLink | None) -> str:
    """The printed form of a short link: `host/r/code` without the scheme (shorter on paper; phones add it)."""
    if link is None:
        return ""
    return f"{base_url.rstrip('/')}/r/{link.code}"


def printed(url: str) -> str:
    return url.split("://", 1)[-1]


def links_by_material(campaign: Campaign, kind: str, key: str, language: str) -> dict[str, ShortLink]:
    return {
        link.material: link
        for link in ShortLink.objects.filter(campaign=campaign, kind=kind, target_key=key, language=language)
    }


# --- PDFs -------------------------------------------------------------------------------------------------------------


def material_context(campaign: Campaign, content: Content, url: str) -> dict[str, Any]:
    return {
        "campaign": campaign,
        "c": content,
        "url": url,
        "printed_url": printed(url),
        "qr": qr_svg(url) if url else "",
        "organization": "" if content.discreet else campaign.organization.name,
        "card_steps": content.steps[:CARD_STEPS],
        "card_lines": content.lines[:LINES_ON_CARD],
    }


def card_html(campaign: Campaign, content: Content, url: str) -> str:
    with translation.override(content.language):
        return render_to_string("campaigns/print/card.html", material_context(campaign, content, url))


def poster_html(campaign: Campaign, content: Content, url: str, size: str) -> str:
    if size not in PAPER_SIZES:
        raise MaterialError(_("Posters are A4 or A3."))
    context = material_context(campaign, content, url) | {"size": size, "page_size": PAPER_SIZES[size]}
    with translation.override(content.language):
        return render_to_string("campaigns/print/poster.html", context)


def card_pdf(campaign: Campaign, content: Content, url: str) -> bytes:
    """A wallet-size card, 85 x 55 mm, two pages: the front (title, lines, QR code) and the back (first steps)."""
    return render_pdf(card_html(campaign, content, url))


def poster_pdf(campaign: Campaign, content: Content, url: str, size: str = "A4") -> bytes:
    return render_pdf(poster_html(campaign, content, url, size))


# --- Texts ------------------------------------------------------------------------------------------------------------


def _numbers(content: Content, most: int = 2) -> list[str]:
    return [line.number for line in content.lines[:most]]


def _joined(items: list[str], language: str) -> str:
    if len(items) <= 1:
        return "".join(items)
    with translation.override(language):
        return _("%(first)s or %(last)s") % {"first": ", ".join(items[:-1]), "last": items[-1]}


@dataclass(frozen=True)
class SmsText:
    text: str
    count: sms.SmsCount
    budget: int
    plain: str  # the same text without the accents that force UCS-2
    plain_count: sms.SmsCount

    @property
    def over(self) -> bool:
        return self.count.over(self.budget)


def sms_candidates(content: Content, url: str) -> list[str]:
    """The SMS, longest first: with the first step, then without it; the lines to call and the link always."""
    with translation.override(content.language):
        numbers = _joined(_numbers(content), content.language)
        call = _("Call %(numbers)s.") % {"numbers": numbers} if numbers else ""
        more = _("More: %(url)s") % {"url": url} if url else ""
        first = content.steps[0].title if content.steps else ""
        texts = []
        if first:
            texts.append(" ".join(p for p in (f"{content.title}: {first}.", call, more) if p))
        texts.append(" ".join(p for p in (f"{content.title}.", call, more) if p))
        return texts


def sms_text(content: Content, url: str, budget: int) -> SmsText:
    """The longest candidate that fits the budget of segments, else the shortest (its page says it is over)."""
    candidates = sms_candidates(content, url)
    chosen = next((t for t in candidates if not sms.count(t).over(budget)), candidates[-1])
    plain = sms.without_accents(chosen)
    return SmsText(chosen, sms.count(chosen), budget, plain, sms.count(plain))


def sms_problem(count: sms.SmsCount, budget: int, language: str | None = None) -> str:
    """What to tell the staff about a text's length: empty when it fits; else how many segments, why, and what to
    do (the characters that force UCS-2 are named)."""
    if not count.over(budget):
        return ""
    with translation.override(language or translation.get_language()):
        message = _(
            "This text takes %(segments)s SMS segments; the budget is %(budget)s. Shorten it by %(excess)s "
            "characters or raise the budget."
        ) % {
            "segments": count.segments,
            "budget": budget,
            "excess": count.units - (count.per_segment if budget == 1 else budget * count.per_segment),
        }
        if count.forcing_ucs2:
            message += " " + _(
                "It is sent as UCS-2 (70 characters per message, 67 per segment) because of: %(chars)s. Without "
                "those characters it would be sent as GSM-7 (160, then 153)."
            ) % {"chars": " ".join(count.forcing_ucs2)}
        return message


def sms_explanation(count: sms.SmsCount, language: str | None = None) -> str:
    with translation.override(language or translation.get_language()):
        if count.forcing_ucs2:
            return _("UCS-2 because of %(chars)s: %(units)s of %(per)s characters per segment.") % {
                "chars": " ".join(count.forcing_ucs2),
                "units": count.units,
                "per": count.per_segment,
            }
        if count.extension_characters:
            return _("GSM-7: %(units)s of %(per)s; %(chars)s count twice.") % {
                "units": count.units,
                "per": count.per_segment,
                "chars": " ".join(count.extension_characters),
            }
        return _("GSM-7: %(units)s of %(per)s characters per segment.") % {
            "units": count.units,
            "per": count.per_segment,
        }


def whatsapp_text(content: Content, url: str) -> str:
    """A message for WhatsApp (its *bold* marks): the title, the first steps, the lines to call and the link."""
    with translation.override(content.language):
        parts = [f"*{content.title}*"]
        if content.summary:
            parts.append(content.summary)
        if content.steps:
            parts.append(_("First steps:"))
            parts.extend(f"{n}. {step.title}" for n, step in enumerate(content.steps, start=1))
        if content.where:
            parts.append(content.where)
        for line in content.lines:
            label = f" ({line.name})" if line.name else (f" ({line.hours})" if line.hours else "")
            parts.append(f"📞 *{line.number}*{label}")
        if url:
            parts.append(_("More: %(url)s") % {"url": url})
        return "\n".join(parts)


@dataclass(frozen=True)
class RadioScript:
    seconds: int
    text: str
    words: int
    budget_words: int
    words_per_second: float

    @property
    def estimated_seconds(self) -> float:
        return round(self.words / self.words_per_second, 1)

    @property
    def fits(self) -> bool:
        return self.words <= self.budget_words


SENTENCE_END = re.compile(r"(?<=[.!?])\s")


def first_sentence(text: str) -> str:
    return SENTENCE_END.split(text.strip(), maxsplit=1)[0]


def word_count(text: str) -> int:
    return len(text.split())


def radio_script(content: Content, seconds: int) -> RadioScript:
    """A script for `seconds` of air: the opening and the first line to call (said twice) always; then, while they
    fit, the summary, the first steps and a second line, kept in reading order."""
    rate = WORDS_PER_SECOND.get(content.language, 2.2)
    budget = int(rate * seconds)
    with translation.override(content.language):
        numbers = _numbers(content)
        opening = f"{content.title}."
        first_call = (
            _("Call %(number)s, %(name)s.") % {"number": content.lines[0].number, "name": content.lines[0].name}
            if content.lines and content.lines[0].name
            else (_("Call %(number)s.") % {"number": numbers[0]} if numbers else "")
        )
        closing = _("Remember: %(number)s.") % {"number": numbers[0]} if numbers else ""
        # (reading position, sentence), in the order they are worth adding: the summary, the steps' titles, the
        # second line, then the first sentence of each step's advice.
        optional: list[tuple[int, str]] = []
        if content.summary:
            optional.append((1, content.summary))
        for n, step in enumerate(content.steps, start=1):
            optional.append((10 * n, step.title.rstrip(".") + "."))
        if len(numbers) > 1:
            optional.append((90, _("Or call %(number)s.") % {"number": numbers[1]}))
        for n, step in enumerate(content.steps, start=1):
            if step.what_to_do:
                optional.append((10 * n + 1, first_sentence(step.what_to_do)))
    chosen: list[tuple[int, str]] = [(0, opening), (2, first_call), (99, closing)]
    chosen = [(pos, s) for pos, s in chosen if s]
    used = sum(word_count(s) for _pos, s in chosen)
    for pos, sentence in optional:
        if used + word_count(sentence) <= budget:
            chosen.append((pos, sentence))
            used += word_count(sentence)
    text = " ".join(s for _pos, s in sorted(chosen, key=lambda item: item[0]))
    return RadioScript(seconds=seconds, text=text, words=word_count(text), budget_words=budget, words_per_second=rate)


def texts_document(campaign: Campaign, content: Content, links: dict[str, ShortLink], base_url: str) -> str:
    """Every text of one target in one language, as one plain-text download."""
    sms_url = short_url(base_url, links.get(Material.SMS))
    whatsapp_url = short_url(base_url, links.get(Material.WHATSAPP))
    message = sms_text(content, sms_url, campaign.sms_segments)
    quiet = discreet(content)
    quiet_message = sms_text(quiet, sms_url, campaign.sms_segments)
    with translation.override(content.language):
        sections = [
            f"{campaign.name} · {content.title} · {content.language}",
            "",
            f"== {_('SMS')} ({message.count.segments} / {message.budget}) ==",
            message.text,
            "",
            f"== {_('SMS, discreet')} ({quiet_message.count.segments} / {quiet_message.budget}) ==",
            quiet_message.text,
            "",
            f"== {_('WhatsApp')} ==",
            whatsapp_text(content, whatsapp_url),
            "",
            f"== {_('WhatsApp, discreet')} ==",
            whatsapp_text(quiet, whatsapp_url),
        ]
        for seconds in RADIO_LENGTHS:
            script = radio_script(content, seconds)
            sections += [
                "",
                f"== {_('Radio, %(seconds)s seconds') % {'seconds': seconds}} "
                f"({script.words} / {script.budget_words}) ==",
                script.text,
            ]
    return "\n".join(sections) + "\n"

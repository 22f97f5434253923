"""The shipped risk-characterisation instrument (issue 14, item 6): it compiles with pyxform, speaks three languages,
asks nothing before consent and the safety check, asks for no names or phones, lets her skip every sensitive
question, marks its facets with valid codes, and is in sync with its readable source."""

from __future__ import annotations

import importlib.util
import re
import shutil
import sys
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any
from xml.etree import ElementTree

import pytest
from defusedxml.ElementTree import fromstring
from django_countries import countries
from pyxform.xls2xform import convert

from amparo.directory.demo_places import ADMIN2
from amparo.directory.models import Place
from amparo.surveys.xlsform import compile_xlsform
from amparo.vocab import AgeBand, GenderIdentity, MigratoryStatus

ROOT = Path(__file__).resolve().parents[3]
NS = {
    "x": "http://www.w3.org/2002/xforms",
    "h": "http://www.w3.org/1999/xhtml",
    "jr": "http://openrosa.org/javarosa",
    "amparo": "urn:amparo:xforms",
}
FACET = "{urn:amparo:xforms}facet"
LANGUAGES = ["Español (es)", "English (en)", "Português (pt)"]
SKIP_CODES = {"pnr", "not_said", "unknown", "ZZ"}
# The consent block and the safety check: the only rows that may be shown before (or without) her consent.
CONSENT_BLOCK = {"interviewer_before", "consent_text", "consent", "no_consent_end"}
SAFETY_BLOCK = {"safe_now", "not_safe_end"}


def _script() -> ModuleType:
    if "amparo_instrument_script" not in sys.modules:
        spec = importlib.util.spec_from_file_location("amparo_instrument_script", ROOT / "scripts" / "instrument.py")
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
    return sys.modules["amparo_instrument_script"]


@cache
def _compiled() -> tuple[str, tuple[str, ...]]:
    warnings: list[str] = []
    result = convert(xlsform=str(_script().XLSX), validate=False, warnings=warnings)
    return result.xform, tuple(warnings)


@cache
def _xform() -> ElementTree.Element:
    return fromstring(_compiled()[0])


def _binds() -> dict[str, ElementTree.Element]:
    return {b.get("nodeset", ""): b for b in _xform().iterfind(".//x:model/x:bind", NS)}


def _controls() -> list[ElementTree.Element]:
    """What the phone shows: inputs (text, numbers, dates, notes), selects; with their ref."""
    body = _xform().find("h:body", NS)
    assert body is not None
    return [el for tag in ("input", "select1", "select") for el in body.iterfind(f".//x:{tag}", NS)]


def _chain(nodeset: str) -> list[str]:
    """The relevant expressions that decide whether a node is shown: its own and its groups'."""
    binds = _binds()
    parts = nodeset.split("/")
    chain = []
    for end in range(3, len(parts) + 1):
        bind = binds.get("/".join(parts[:end]))
        if bind is not None and bind.get("relevant"):
            chain.append(re.sub(r"\s+", "", bind.get("relevant", "")))
    return chain


def _choices(list_name: str) -> list[str]:
    items = _xform().findall(f".//x:instance[@id='{list_name}']/root/item/name", NS)
    if not items:  # secondary instances carry no namespace
        items = _xform().findall(f".//x:instance[@id='{list_name}']/x:root/x:item/x:name", NS)
    return [item.text or "" for item in items]


def _list_of(control: ElementTree.Element) -> str:
    itemset = control.find("x:itemset", NS)
    assert itemset is not None, control.get("ref")
    match = re.match(r"instance\('([^']+)'\)", itemset.get("nodeset", ""))
    assert match
    return match.group(1)


def _source() -> dict[str, Any]:
    return _script().load_source()


def test_the_xlsx_compiles_with_pyxform_without_warnings() -> None:
    assert _compiled()[1] == ()
    title = _xform().find("h:head/h:title", NS)
    assert title is not None and title.text == "Encuesta de salud y bienestar"  # a neutral cover title
    data = _xform().find(".//x:instance/x:data", NS)
    assert data is not None and data.get("id") == "amparo_risk_characterisation"


@pytest.mark.skipif(shutil.which("java") is None, reason="ODK Validate (JavaRosa, shipped with pyxform) needs Java")
def test_odk_validate_accepts_it_as_collect_would() -> None:
    warnings: list[str] = []
    convert(xlsform=str(_script().XLSX), validate=True, warnings=warnings)  # raises ODKValidateError if not
    assert warnings == []


def test_three_languages_complete_with_spanish_first() -> None:
    translations = _xform().findall(".//x:itext/x:translation", NS)
    assert [t.get("lang") for t in translations] == LANGUAGES
    assert translations[0].get("default") == "true()"
    texts = [{t.get("id"): "".join(t.itertext()).strip() for t in tr.iterfind("x:text", NS)} for tr in translations]
    assert texts[0].keys() == texts[1].keys() == texts[2].keys()
    for lang, table in zip(LANGUAGES, texts, strict=True):
        empty = [text_id for text_id, value in table.items() if not value]
        assert not empty, (lang, empty)
        assert "-" not in table.values(), lang  # pyxform's filler for a missing translation
    # In the workbook itself: a label or hint is given in all three languages or in none, and Spanish and English
    # are never pasted the same by mistake (the names of places aside, which are the same everywhere).
    sheets = _script().read_xlsx(_script().XLSX.read_bytes())
    header = sheets["survey"][0]
    for key in ("label", "hint"):
        columns = [header.index(f"{key}::{lang}") for lang in LANGUAGES]
        for row in sheets["survey"][1:]:
            cells = [row[i] for i in columns]
            assert all(cells) or not any(cells), (key, row[1], cells)
            assert not cells[0] or cells[0] != cells[1], (key, row[1])
    for row in sheets["choices"][1:]:
        assert all(row[2:5]), row


def test_nothing_is_asked_before_consent_and_the_safety_check() -> None:
    asked = 0
    for control in _controls():
        ref = control.get("ref", "")
        name = ref.rsplit("/", 1)[-1]
        chain = _chain(ref)
        if name in CONSENT_BLOCK:
            assert not any("/data/consent='yes'" in expression for expression in chain), name
            continue
        assert any("/data/consent='yes'" in expression for expression in chain), f"{name} does not need consent"
        if name in SAFETY_BLOCK:
            continue
        assert any("/data/interview/safe_now='yes'" in expression for expression in chain), f"{name} is not safe"
        asked += 1
    assert asked > 30
    # The consent question and the safety check are the first things she answers.
    names = [c.get("ref", "").rsplit("/", 1)[-1] for c in _controls() if c.tag.endswith("select1")]
    assert names[:2] == ["consent", "safe_now"]


def test_the_quick_switch_hides_every_sensitive_module_and_shows_general_health() -> None:
    for group in ("violence", "control", "services", "offer"):
        chain = " ".join(_chain(f"/data/interview/safe/{group}"))
        assert "!='health'" in chain, group
    general = " ".join(_chain("/data/interview/safe/general_health"))
    assert "/data/interview/safe/pause_violence='health'" in general


NAME_OR_CONTACT = re.compile(
    r"\b(nombre|name|nome|apellido|surname|sobrenome|tel[eé]fono|phone|telefone|celular|whatsapp|correo|e-?mail|"
    r"direcci[oó]n|address|endere[cç]o|c[eé]dula|documento|document)\b",
    re.IGNORECASE,
)


def test_no_text_question_asks_for_names_phones_or_addresses() -> None:
    translations = {
        t.get("id"): "".join(t.itertext()) for t in _xform().iterfind(".//x:itext/x:translation/x:text", NS)
    }
    binds = _binds()
    for control in _controls():
        ref = control.get("ref", "")
        bind = binds[ref]
        if control.tag.endswith("input") and bind.get("type") == "string" and bind.get("readonly") != "true()":
            label = control.find("x:label", NS)
            assert label is not None
            text = translations.get(f"{ref}:label", label.text or "")
            assert not NAME_OR_CONTACT.search(text), (ref, text)
            assert not NAME_OR_CONTACT.search(ref.rsplit("/", 1)[-1]), ref
    # No metadata that identifies her or the phone: only the instance id, start, end and today.
    preloads = {(b.get(f"{{{NS['jr']}}}preload"), b.get(f"{{{NS['jr']}}}preloadParams")) for b in binds.values()}
    assert preloads - {(None, None)} <= {("uid", None), ("timestamp", "start"), ("timestamp", "end"), ("date", "today")}
    # And the source keeps it that way: no free-text question at all.
    assert not [row["name"] for row in _script().survey_rows(_source()) if row["type"] in {"text", "string"}]


def test_every_sensitive_question_is_skippable_and_not_required() -> None:
    source_rows = _script().survey_rows(_source())
    sensitive_groups = [row["name"] for row in source_rows if row["type"] == "begin_group" and row.get("sensitive")]
    assert {"about", "violence", "control", "services", "offer"} <= set(sensitive_groups)
    binds = _binds()
    checked = 0
    for control in _controls():
        ref = control.get("ref", "")
        if not any(f"/{group}/" in ref for group in sensitive_groups):
            continue
        assert binds[ref].get("required") in (None, "false()"), f"{ref} is required"
        if control.tag.endswith("input"):
            assert binds[ref].get("readonly") == "true()", f"{ref}: a sensitive free answer"  # notes only
            continue
        list_name = _list_of(control)
        assert SKIP_CODES & set(_choices(list_name)), f"{ref}: no way to skip in {list_name}"
        checked += 1
    assert checked >= 20
    # Required rows are the consents, the safety check and the municipality: nothing sensitive.
    required = {ref.rsplit("/", 1)[-1] for ref, bind in binds.items() if bind.get("required") == "true()"}
    assert required == {"consent", "safe_now", "statistics_consent", "municipality"}


def test_the_modules_the_issue_asks_for_are_there() -> None:
    names = {c.get("ref", "").rsplit("/", 1)[-1] for c in _controls()}
    for perpetrator in ("client", "intimate_partner", "police", "military", "migration_official", "organised_crime"):
        assert f"violence_type_{perpetrator}" in names
    assert {"extortion", "debt", "confinement", "child_recruitment", "barriers", "services_known", "needs"} <= names
    assert {"no_id", "cost", "discrimination", "xenophobia"} <= set(_choices("barrier"))
    assert _choices("gender_identity")[0] == "trans_woman"  # trans women first
    assert _choices("zone_type") == ["border", "urban", "rural"]


def test_facets_are_marked_and_their_choice_names_are_valid_codes() -> None:
    facets = {b.get(FACET): b.get("nodeset", "") for b in _binds().values() if b.get(FACET)}
    assert set(facets) == {
        "municipality", "zone_type", "gender_identity", "nationality", "migratory_status", "age_band",
        "interview_date", "statistics_consent",
    }  # fmt: skip
    controls = {c.get("ref"): c for c in _controls()}
    valid = {
        "municipality": {pcode for pcode, *_ in ADMIN2},
        "zone_type": set(Place.Zone.values),
        "gender_identity": set(GenderIdentity.values),
        "migratory_status": set(MigratoryStatus.values),
        "age_band": set(AgeBand.values),
        "nationality": {code for code, _name in countries} | {"ZZ"},
        "statistics_consent": {"yes", "no"},
    }
    for facet, codes in valid.items():
        names = _choices(_list_of(controls[facets[facet]]))
        assert names and set(names) <= codes, (facet, set(names) - codes)
    assert set(_choices("municipality")) == valid["municipality"]  # every demo municipality, with its P-code
    assert _binds()[facets["interview_date"]].get("type") == "date"


def test_the_xlsx_and_the_markdown_are_in_sync_with_the_source() -> None:
    script = _script()
    assert script.out_of_date(script.load_source()) == [], "run .venv/bin/python scripts/instrument.py"
    markdown = script.MARKDOWN.read_text(encoding="utf-8")
    assert "¿Aceptas participar en esta encuesta?" in markdown
    assert "`violence_type_police`" in markdown


def test_a_changed_source_is_out_of_date(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    script = _script()
    source = script.load_source()
    source["survey"][3]["label"]["es"] += " (cambiado)"
    assert script.out_of_date(source) == [str(script.XLSX), str(script.MARKDOWN)]
    monkeypatch.setattr(script, "XLSX", tmp_path / "x.xlsx")
    monkeypatch.setattr(script, "MARKDOWN", tmp_path / "x.md")
    script.XLSX.write_bytes(script.xlsx_bytes(source))
    script.MARKDOWN.write_text(script.markdown(source), encoding="utf-8")
    assert script.out_of_date(source) == []


def test_an_unknown_key_in_the_source_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[[survey]]\ntype = "note"\nname = "x"\nlabel_es = "typo"\n', encoding="utf-8")
    with pytest.raises(ValueError, match="unknown keys"):
        _script().load_source(bad)


def test_amparo_publishes_it_with_its_facets_and_languages() -> None:
    compiled = compile_xlsform("risk-characterisation.xlsx", _script().XLSX.read_bytes())
    assert (compiled.form_id, compiled.title, compiled.encrypted) == (
        "amparo_risk_characterisation",
        "Encuesta de salud y bienestar",
        False,
    )
    assert compiled.warnings == []
    assert compiled.languages == sorted(LANGUAGES)
    facets = {q["facet"]: q["name"] for q in compiled.schema if q["facet"]}
    assert facets == {
        "interview_date": "interview_date", "statistics_consent": "statistics_consent", "municipality": "municipality",
        "zone_type": "zone_type", "gender_identity": "gender_identity", "age_band": "age_band",
        "nationality": "nationality", "migratory_status": "migratory_status",
    }  # fmt: skip

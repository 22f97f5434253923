"""Every user-facing string is translated, and the catalogues match the code (no stale or missing msgids)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest

ROOT = Path(__file__).resolve().parents[3]
LOCALE = ROOT / "amparo" / "locale"
TRANSLATED = ("es", "pt")  # English is the source language: an empty msgstr falls back to the msgid.
# Stigmatising words never used in user-facing text; other tests (the search development set) import this list.
STIGMATISING = re.compile(r"\b(prostitut\w*|puta\w*|travesti\w*|meretriz|ramera|hooker\w*|tranny)\b", re.IGNORECASE)


def catalogue(lang: str, root: Path = ROOT) -> polib.POFile:
    return polib.pofile(str(root / "amparo" / "locale" / lang / "LC_MESSAGES" / "django.po"))


def msgids(po: polib.POFile) -> set[tuple[str, str]]:
    return {(e.msgctxt or "", e.msgid) for e in po if not e.obsolete}


@pytest.fixture(scope="module")
def fresh_catalogues(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Run makemessages on a copy of the code, so the check never touches the working tree."""
    copy = tmp_path_factory.mktemp("i18n")
    shutil.copytree(ROOT / "amparo", copy / "amparo", ignore=shutil.ignore_patterns("__pycache__", "*.mo", "tests"))
    shutil.copy(ROOT / "manage.py", copy / "manage.py")
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"} | {
        "PYTHONPATH": str(copy),
        "AMPARO_VAR_DIR": str(copy / "var"),
    }
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "es", "-l", "en", "-l", "pt", "--no-obsolete", "-v0"],
        cwd=copy,
        env=env,
        check=True,
        timeout=300,
    )
    return copy


@pytest.mark.parametrize("lang", ["es", "en", "pt"])
def test_catalogue_is_up_to_date(fresh_catalogues: Path, lang: str) -> None:
    committed, fresh = msgids(catalogue(lang)), msgids(catalogue(lang, fresh_catalogues))
    missing, stale = fresh - committed, committed - fresh
    assert not missing, f"{lang}: strings in the code but not in the .po file (run make makemessages): {missing}"
    assert not stale, f"{lang}: strings in the .po file no longer in the code (run make makemessages): {stale}"


@pytest.mark.parametrize("lang", TRANSLATED)
def test_every_string_is_translated(lang: str) -> None:
    po = catalogue(lang)
    untranslated = [e.msgid for e in po.untranslated_entries()]
    fuzzy = [e.msgid for e in po.fuzzy_entries()]
    assert not untranslated, f"{lang}: untranslated strings: {untranslated}"
    assert not fuzzy, f"{lang}: fuzzy (unchecked) translations: {fuzzy}"


@pytest.mark.parametrize("lang", TRANSLATED)
def test_placeholders_are_kept(lang: str) -> None:

    pattern = re.compile(r"%\(\w+\)[sd]|\{\{ ?\w+ ?\}\}|%[sd]")
    for entry in catalogue(lang):
        if entry.msgstr:
            assert sorted(pattern.findall(entry.msgid)) == sorted(pattern.findall(entry.msgstr)), entry.msgid


def test_no_slurs_in_user_facing_text() -> None:
    """Respectful words only: the catalogues and the pathway content never use stigmatising terms."""
    texts = [(LOCALE / lang / "LC_MESSAGES" / "django.po").read_text(encoding="utf-8") for lang in ("es", "en", "pt")]
    texts += [p.read_text(encoding="utf-8") for p in (ROOT / "amparo" / "pathways" / "content").glob("*.json")]
    for text in texts:
        assert not STIGMATISING.search(text), STIGMATISING.search(text)

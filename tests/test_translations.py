"""The gettext catalogues: complete in both languages, and every key the code asks for is in them.

A key missing from a catalogue would show the key itself to a person; these tests find it
first. They read the ``.po`` files with Babel, scan the code, templates and page scripts for
the keys they call, and render pages in both languages.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tokenize
from datetime import UTC, datetime
from pathlib import Path
from string import Formatter

import pytest
from babel.messages.pofile import read_po
from flask import Flask, render_template_string
from flask.testing import FlaskClient

from geo_service import i18n
from geo_service.auth.policy import ROLES
from geo_service.hazards.export import CSV_COLUMNS
from geo_service.vocab import HazardCategory, HazardStatus

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "geo_service"
CATALOGUES = {lang: i18n.catalogue_path(lang) for lang in i18n.LANGUAGES}


def entries(lang: str) -> dict[str, str]:
    """msgid -> msgstr of one catalogue, read afresh with Babel."""
    with CATALOGUES[lang].open("rb") as po:
        catalog = read_po(po)
    return {str(m.id): str(m.string) for m in catalog if m.id}


ZH, EN = entries("zh"), entries("en")
KEYS = set(ZH)


def placeholders(text: str) -> set[str]:
    """The ``{name}`` fields of a message."""
    return {name for _, name, _, _ in Formatter().parse(text) if name is not None}


def python_files() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def string_literals(path: Path) -> list[tuple[int, str]]:
    """Every plain string literal of a Python file (f-strings left out), with its line."""
    found = []
    with path.open("rb") as source:
        for token in tokenize.tokenize(source.readline):
            if token.type != tokenize.STRING:
                continue
            prefix = re.match(r"[A-Za-z]*", token.string).group(0).lower()
            if "f" in prefix or "b" in prefix:
                continue
            try:
                value = eval(token.string)  # noqa: S307 - a literal from our own source
            except SyntaxError:
                continue
            found.append((token.start[0], value))
    return found


# -- the catalogues themselves ---------------------------------------------------------------
def test_both_catalogues_have_the_same_keys() -> None:
    assert len(KEYS) > 500
    assert set(ZH) - set(EN) == set(), "in zh_CN only"
    assert set(EN) - set(ZH) == set(), "in en only"


def test_no_message_is_empty() -> None:
    for lang, texts in (("zh_CN", ZH), ("en", EN)):
        empty = [key for key, text in texts.items() if not text]
        assert empty == [], f"empty in {lang}"


def test_placeholders_match_per_entry() -> None:
    differ = {key: (placeholders(ZH[key]), placeholders(EN[key])) for key in KEYS & set(EN)
              if placeholders(ZH[key]) != placeholders(EN[key])}
    assert differ == {}


def test_chinese_catalogue_is_chinese() -> None:
    """zh_CN holds the Chinese text, en the English (not swapped)."""
    assert ZH["nav_map"] == "地图" and EN["nav_map"] == "Map"
    assert i18n.translate("weekday.0", "zh") == "周一"
    assert i18n.weekday(6, "en") == "Sunday" and i18n.weekday(6, "en", short=True) == "Sun"


def test_the_module_answers_from_the_catalogues() -> None:
    assert i18n.keys() == list(ZH)
    for key in KEYS:
        assert i18n.translate(key, "zh") == ZH[key]
        assert i18n.translate(key, "en") == EN[key]
        assert i18n.translations("en").gettext(key) == EN[key]
    assert i18n.say("hz.required", "en", field="name") == "Missing required field: name."
    assert i18n.both("err.429", seconds=5)["zh"] == "提交太频繁，请 5 秒后再试。"


def test_catalogues_are_package_data() -> None:
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert '"translations/*/LC_MESSAGES/*.po"' in pyproject
    for path in CATALOGUES.values():
        assert path.relative_to(PACKAGE).match("translations/*/LC_MESSAGES/*.po")


# -- every key the code, templates and scripts ask for -------------------------------------
def catalogue_prefixes() -> tuple[str, ...]:
    """``hz.``, ``auth_``, ``pl_`` ...: the namespaces of the keys (up to the first . or _)."""
    starts = set()
    for key in KEYS:
        match = re.match(r"[a-z]+[._]", key)
        if match and sum(k.startswith(match.group(0)) for k in KEYS) > 2:
            starts.add(match.group(0))
    starts -= {"no_", "open_", "without_", "street_", "switch_", "loaded_"}
    return tuple(sorted(starts))


def user_facing(path: Path) -> bool:
    """Whether a module builds what a person reads (the web layer, sign-in and accounts)."""
    return path.parent.name in ("web", "auth")


#: Names that look like keys but are a blueprint, an extension or a template global.
NOT_KEYS = {"map_page", "map_layers", "auth_pages", "nav_items"}


def test_every_key_literal_in_the_code_is_in_the_catalogue() -> None:
    """A plain string that looks like a key is one: ``hz.…``/``err.…`` anywhere in geo_service/,
    ``auth_…``/``pl_…`` in the user-facing modules (web/, auth/), where such names are words."""
    prefixes = catalogue_prefixes()
    assert {"hz.", "auth_", "pl_", "pp_", "hn_", "hd_", "hl_", "dash_", "map_", "err.",
            "api.", "coll_", "nav_", "rs_", "turn_"} <= set(prefixes)
    key_shape = re.compile(r"[a-z][a-z0-9_.]*[a-z0-9]")
    missing, seen = [], 0
    for path in python_files():
        for line, value in string_literals(path):
            start = next((p for p in prefixes if value.startswith(p)), None)
            if start is None or not key_shape.fullmatch(value) or value in NOT_KEYS:
                continue
            if start.endswith("_") and ("." in value or not user_facing(path)):
                continue  # an endpoint, a file name (auth_pages.login) or a cache key
            seen += 1
            if value not in KEYS:
                missing.append(f"{path.relative_to(ROOT)}:{line}: {value}")
    assert seen > 150
    assert missing == []


CALL = re.compile(r"""\b(?:translate|say|both|known|Word|t|_|gettext)\(\s*['"]([^'"{}]+)['"]""")


def test_every_key_called_in_code_and_templates_is_in_the_catalogue() -> None:
    missing, seen = [], 0
    files = python_files() + sorted((ROOT / "templates").glob("*.html"))
    for path in files:
        text = path.read_text(encoding="utf-8")
        for match in CALL.finditer(text):
            key = match.group(1)
            if key == "key" or (path.suffix == ".html" and key.endswith(".")):
                continue  # a docstring's t('key'), or t('hz.action.' ~ a) (checked below)
            seen += 1
            if key not in KEYS:
                line = text.count("\n", 0, match.start()) + 1
                missing.append(f"{path.relative_to(ROOT)}:{line}: {key}")
    assert seen > 300
    assert missing == []


def test_every_word_a_page_script_uses_is_in_the_catalogue() -> None:
    """``words.pp_team`` in static/**/*.js (the patrol app too) comes from ``page_words()``."""
    missing, seen = [], 0
    for path in sorted((PACKAGE / "web" / "static").rglob("*.js")):
        text = path.read_text(encoding="utf-8")
        for key in re.findall(r"\bwords\.([a-z][a-z0-9_]*)", text):
            seen += 1
            if key not in KEYS:
                missing.append(f"{path.name}: {key}")
    assert seen > 50
    assert missing == []


def test_every_navigation_entry_and_layer_has_words() -> None:
    from geo_service.web import home
    from geo_service.web.app import BLUEPRINT_MODULES

    nav = []
    for name in BLUEPRINT_MODULES:
        module = __import__(f"geo_service.web.{name}", fromlist=["NAV"])
        nav += [key for _, key in getattr(module, "NAV", [])]
    assert len(nav) >= 6
    assert [key for key in nav if key not in KEYS] == []
    assert [t for t in home.LAYER_TABLES if t not in KEYS] == []


def test_keys_built_from_values_exist() -> None:
    """Keys made with f-strings: actions, roles, notes, services, columns, errors, routes."""
    from geo_service.hazards.lifecycle import Action
    from geo_service.web import collections, errors

    wanted = [f"hz.action.{action.value}" for action in Action]
    wanted += [f"auth_role_{role}" for role in ROLES]
    wanted += [f"hz.note.{status.value}" for status in HazardStatus]
    wanted += [f"hz.service.{category.value}" for category in HazardCategory]
    wanted += [f"hz.col.{column}" for column in CSV_COLUMNS]
    wanted += [f"err.{status}" for status in errors.CODES] + ["err.4xx", "err.5xx"]
    wanted += [f"weekday.{i}" for i in range(7)] + [f"weekday.short.{i}" for i in range(7)]
    wanted += [f"turn_{kind}" for kind in ("start", "straight", "slight_left", "left",
                                            "slight_right", "right", "back")]
    for coll in collections.COLLECTIONS.values():
        wanted += [coll.title_key, coll.description_key]
    assert [key for key in wanted if key not in KEYS] == []


def test_every_api_error_code_has_words() -> None:
    """The codes the routes and planning APIs raise are ``api.routes.*``/``api.planning.*``."""
    for module, raiser, prefix in (("api_patrol_routes", "ApiProblem", "api.routes."),
                                   ("api_planning", "BadRequest", "api.planning."),
                                   ("plan_lighting", "BadRequest", "api.planning.")):
        text = (PACKAGE / "web" / f"{module}.py").read_text(encoding="utf-8")
        codes = set(re.findall(rf"\b{raiser}\(\s*\"(\w+)\"", text))
        codes |= {f"bad_{name}" for name in re.findall(r"_int\(body, \"(\w+)\"", text)}
        codes |= set(re.findall(r"_float\(body, \"\w+\", [\d.]+, \"(\w+)\"\)", text))
        assert codes or module == "plan_lighting"
        assert sorted(c for c in codes if prefix + c not in KEYS) == [], module


# -- the domain stays free of Flask ------------------------------------------------------------
def test_the_domain_words_import_no_flask() -> None:
    code = ("import sys\n"
            "import geo_service.i18n, geo_service.hazards.messages, geo_service.auth.messages\n"
            "from geo_service.analysis import rota\n"
            "from geo_service.patrol_routes import export\n"
            "assert 'flask' not in sys.modules, sorted(m for m in sys.modules if 'flask' in m)\n"
            "assert geo_service.i18n.translate('nav_map', 'en') == 'Map'\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=ROOT, check=False)
    assert result.returncode == 0, result.stderr


# -- pages in both languages -----------------------------------------------------------------
def test_pages_render_in_both_languages(sample_db: str, client: FlaskClient) -> None:
    english = client.get("/hazards/new?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in english
    assert EN["hn_title"] in english and EN["nav_map"] in english
    assert ZH["hn_title"] not in english
    chinese = client.get("/hazards/new?lang=zh").get_data(as_text=True)
    assert ZH["hn_title"] in chinese and ZH["nav_map"] in chinese
    assert EN["hn_intro"] not in chinese
    remembered = client.get("/map").get_data(as_text=True)  # the cookie keeps zh
    assert ZH["map_legend"] in remembered
    missing = client.get("/no/such/page?lang=en")
    assert missing.status_code == 404
    assert EN["err.404"] in missing.get_data(as_text=True)
    assert client.get("/api/no/such?lang=zh").get_json()["error"]["message"] == ZH["err.404"]


def test_flask_babel_follows_the_page_language(app: Flask) -> None:
    import flask_babel

    from geo_service.web.i18n import lang

    moment = datetime(2026, 1, 1, 0, 30, tzinfo=UTC)
    with app.test_request_context("/map?lang=en"):
        app.preprocess_request()
        assert lang() == "en" and str(flask_babel.get_locale()) == "en"
        assert flask_babel.gettext("nav_map") == "Map"
        assert "8:30" in flask_babel.format_datetime(moment)  # Asia/Shanghai
    with app.test_request_context("/map", headers={"Cookie": "lang=en"}):
        app.preprocess_request()
        assert lang() == "en"
    with app.test_request_context("/map", headers={"Accept-Language": "en"}):
        app.preprocess_request()
        locale = flask_babel.get_locale()
        assert lang() == "zh" and (locale.language, locale.territory) == ("zh", "CN")
        assert flask_babel.gettext("nav_map") == "地图"
        both_helpers = render_template_string("{{ _('nav_hazards') }} {{ t('nav_map') }}")
        assert both_helpers == f"{ZH['nav_hazards']} {ZH['nav_map']}"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_refused_api_request_speaks_the_language(login_as, lang: str) -> None:  # noqa: ANN001
    response = login_as("patrol").post(f"/api/routes?lang={lang}", data="[]",
                           content_type="application/json")
    assert response.status_code == 400
    body = response.get_json()["error"]
    texts = ZH if lang == "zh" else EN
    assert body["message"] == texts["api.routes.bad_json"]
    assert body["messages"] == {"zh": ZH["api.routes.bad_json"], "en": EN["api.routes.bad_json"]}


def test_extraction_finds_only_known_keys(tmp_path: Path) -> None:
    """``scripts/translations.py extract`` (Babel with babel.cfg) runs and finds no unknown key."""
    pot = tmp_path / "messages.pot"
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "translations.py"),
                             "extract", "--output", str(pot)], capture_output=True, text=True,
                            cwd=ROOT, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    with pot.open("rb") as extracted:
        found = {str(m.id) for m in read_po(extracted) if m.id}
    assert {"nav_map", "hz.required", "auth_login", "pl_title"} <= found

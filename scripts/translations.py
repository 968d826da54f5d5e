"""Keep the gettext catalogues: add a key to both languages, or extract the keys the code calls.

    .venv/bin/python scripts/translations.py add KEY "中文" "English"   # both .po files at once
    .venv/bin/python scripts/translations.py add --replace KEY "中文" "English"
    .venv/bin/python scripts/translations.py extract   # var/messages.pot + keys missing

The msgid of every entry is the key the code calls (``translate("pl_title")``), so a new word
is added, not merged from a template: ``pybabel update`` would mark the keys the code builds at
run time (``f"hz.action.{action}"``, ``page_words("pp_")``) as obsolete. ``extract`` runs
Babel's extraction with ``babel.cfg`` and the project's keywords and lists the keys it finds
that neither catalogue has; ``tests/test_translations.py`` checks the rest.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
from datetime import UTC, datetime
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
CATALOGUES = {"zh": ROOT / "geo_service/translations/zh_CN/LC_MESSAGES/messages.po",
              "en": ROOT / "geo_service/translations/en/LC_MESSAGES/messages.po"}
#: The functions whose first argument is a key (Python and templates).
KEYWORDS = {name: None for name in ("translate", "say", "both", "t", "Word", "_", "gettext")}


def read(path: Path) -> Catalog:
    with path.open("rb") as po:
        return read_po(po)


def write(path: Path, catalog: Catalog) -> None:
    catalog.revision_date = datetime.now(UTC)
    with path.open("wb") as po:
        write_po(po, catalog, width=100, sort_output=False, include_previous=False)


def add(key: str, texts: dict[str, str], replace: bool) -> int:
    """Add (or with ``replace`` change) ``key`` in both catalogues."""
    catalogs = {lang: read(path) for lang, path in CATALOGUES.items()}
    present = [lang for lang, catalog in catalogs.items() if key in catalog]
    if present and not replace:
        print(f"{key} is already in {', '.join(present)}; use --replace", file=sys.stderr)
        return 1
    for lang, catalog in catalogs.items():
        if key in catalog:
            catalog[key].string = texts[lang]
        else:
            catalog.add(key, texts[lang])
        write(CATALOGUES[lang], catalog)
    print(f"{key}: {texts['zh']} / {texts['en']}")
    return 0


def joined(found: str, known: set[str]) -> bool:
    """Whether ``found`` is two keys run together: Babel joins the strings of one call, so
    ``translate("hz.yes" if overdue else "hz.no")`` is extracted as ``hz.yeshz.no``."""
    return any(found[:i] in known and found[i:] in known for i in range(1, len(found)))


def extract(pot: Path) -> int:
    """Write the keys the code calls to ``pot``; list those no catalogue has."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    template = Catalog(project="geo-service", fuzzy=False)
    skipped = io.StringIO()  # Babel's notes on f-string keys, built at run time: checked by tests
    with contextlib.redirect_stderr(skipped):
        found = list(extract_from_dir(str(ROOT), method_map, options_map, keywords=KEYWORDS))
    for filename, lineno, message, comments, context in found:
        if isinstance(message, str):
            template.add(message, None, [(filename, lineno)], auto_comments=comments,
                         context=context)
    pot.parent.mkdir(parents=True, exist_ok=True)
    with pot.open("wb") as out:
        write_po(out, template, width=100)
    known = {message.id for message in read(CATALOGUES["zh"])}
    missing = [m for m in template if m.id and m.id not in known and not joined(m.id, known)
               and not any(c.isspace() for c in m.id)]  # a key has no space, a docstring has
    for message in missing:
        where = " ".join(f"{file}:{line}" for file, line in message.locations)
        print(f"missing: {message.id}  ({where})")
    print(f"{len(template)} keys extracted to {pot}; {len(missing)} missing; "
          f"{skipped.getvalue().count(chr(10))} keys built at run time (f-strings) left out")
    return 1 if missing else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    adding = commands.add_parser("add", help="add a key to both catalogues")
    adding.add_argument("key")
    adding.add_argument("zh", help="the Chinese text")
    adding.add_argument("en", help="the English text")
    adding.add_argument("--replace", action="store_true", help="change an existing key")
    extracting = commands.add_parser("extract", help="extract the keys the code calls")
    extracting.add_argument("--output", type=Path, default=ROOT / "var/messages.pot")
    args = parser.parse_args(argv)
    if args.command == "add":
        return add(args.key, {"zh": args.zh, "en": args.en}, args.replace)
    return extract(args.output)


if __name__ == "__main__":
    sys.exit(main())

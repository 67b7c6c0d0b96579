"""Compiles the gettext catalogs (locales/*/LC_MESSAGES/*.po) into .mo files at build time.

The .mo files are git-ignored build products, so a wheel built from the sdist would lose them
unless they are compiled here; the hook runs for wheel, sdist→wheel and editable builds alike.
"""

from __future__ import annotations

from pathlib import Path

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class CompileCatalogsHook(BuildHookInterface):
    """Writes locales/<lang>/LC_MESSAGES/messages.mo; a wheel ships it as bot/locales/..."""

    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict) -> None:
        if self.target_name != "wheel":
            return
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        root = Path(self.root)
        for po_path in sorted(root.glob("locales/*/LC_MESSAGES/*.po")):
            with po_path.open("rb") as po_file:
                catalog = read_po(po_file, locale=po_path.parent.parent.name)
            mo_path = po_path.with_suffix(".mo")
            with mo_path.open("wb") as mo_file:
                write_mo(mo_file, catalog, use_fuzzy=False)
            relative = mo_path.relative_to(root / "locales")
            # Editable installs read the .mo beside the .po; real wheels carry it inside `bot`.
            if version != "editable":
                build_data["force_include"][str(mo_path)] = f"bot/locales/{relative.as_posix()}"

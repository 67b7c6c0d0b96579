"""`posom demo` runs a whole call-out offline and prints what everyone saw."""

from __future__ import annotations

import io
import subprocess
import sys

from sandbox.demo import run_demo


async def test_demo_in_swedish_shows_the_whole_call_out() -> None:
    out = io.StringIO()
    assert await run_demo("sv", out=out) == 0
    text = out.getvalue()
    for expected in ("Larm 2026-001 skickat till 6 stödpersoner.",
                     "Bemannat – tack, du behövs inte nu.",
                     "Du svarade nej. Tack för ditt svar.",
                     "Laget är redan fullt – du står som reserv.",
                     "(reserv) tar platsen",
                     "POSOM tar bort platsnålen",
                     "Larm 2026-001 (Brand) är avslutat. Tack för din insats!",
                     # The call-out asks for an Arabic speaker: the last place waits for Eva.
                     "Särskilt efterfrågas: Arabiska.",
                     "håller sista platsen i högst 5 minuter medan vi söker någon med: Arabiska.",
                     "✅ Arabiska: Eva Ek"):
        assert expected in text, expected
    # The briefing reached exactly two volunteers at first and the promoted reserve later.
    assert text.count("Du åker. Genomgång:") == 4  # Anna, Bo, Eva, and Bo's [Framme] edit
    sections = text.split("POSOM till ")
    for section in sections:
        if section.startswith(("Cia:", "Dan:", "Fia:")):
            assert "Storgatan" not in section


def test_demo_command_in_english_exits_0() -> None:
    result = subprocess.run([sys.executable, "-m", "bot", "demo", "--lang", "en"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "Call-out 2026-001 sent to 6 support persons." in result.stdout
    assert "Especially needed: Arabic." in result.stdout
    assert "Traceback" not in result.stderr


async def test_signal_demo_shows_the_call_out_as_phones_see_it() -> None:
    from sandbox.demo_signal import run_signal_demo

    out = io.StringIO()
    assert await run_signal_demo("sv", out=out) == 0
    text = out.getvalue()
    for expected in ("POSOM Demo vill nå dig här vid larm – svara JA för att ansluta.",
                     "Svara 1 = Ja, jag kan · 2 = Nej",
                     "Svara 1 = Framme · 2 = Avslutad · 3 = Kan inte ändå",
                     "Du svarade nej. Tack för ditt svar.",
                     "Bemannat – tack, du behövs inte nu.",
                     "Larm 2026-001 (Brand) är avslutat. Tack för din insats!"):
        assert expected in text, expected
    assert text.count("Du åker. Genomgång:") == 3  # Anna, Bo, and Anna's [Framme] edit
    assert text.count("raderar ett meddelande för alla") == 2  # both briefings at the end
    for section in text.split("POSOM till ")[1:]:
        if section.startswith(("Cia:", "Dan:")):
            assert "Storgatan" not in section

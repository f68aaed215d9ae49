"""The terminal simulator behind `dozvon simulate`: prints what the robot says, reads keys.

It is the scripted conversation with two changes: what happens is printed as it happens, and,
when no script is given, keys are read from the keyboard line by line.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from dozvon.dialog.scripted import (
    HANG_UP,
    SCRIPT_ALPHABET,
    SILENCE,
    Said,
    ScriptedConversation,
)

_LABELS = {
    "say": "Робот",
    "ask": "Робот",
    "message": "Робот (автоответчику)",
    "transfer": "[перевод на]",
    "record": "[записан ответ]",
    "key": "Пациент нажимает",
    "silence": "Пациент молчит",
    "hangup": "Пациент кладёт трубку",
    "no_beep": "Автоответчик не дал сигнала",
}


@dataclass
class TerminalConversation(ScriptedConversation):
    interactive: bool = False
    write: Callable[[str], None] = print
    read: Callable[[str], str] = input
    _eof: bool = field(default=False, repr=False)

    def show(self, said: Said) -> None:
        label = _LABELS.get(said.kind, said.kind)
        self.write(
            f"{said.at:6.1f}  {label}: {said.text}" if said.text else f"{said.at:6.1f}  {label}"
        )

    def next_input(self) -> str | None:
        if self.interactive and not self._pending and not self._eof:
            self._read_line()
        return super().next_input()

    def _read_line(self) -> None:
        try:
            line = self.read(f"клавиши (Enter — промолчать, {HANG_UP} — положить трубку)> ")
        except EOFError:
            self._eof = True
            return
        keys = [char for char in line.strip() if char in SCRIPT_ALPHABET]
        if len(keys) != len(line.strip()):
            self.write("  (понимаю только цифры, * и #)")
        self._pending.extend(keys or SILENCE)

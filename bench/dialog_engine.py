"""Dialog engine cost: how much CPU a scenario costs per call, next to the bare minimum.

Two measurements, each against a baseline run beside it:

- load: checking and compiling every built-in scenario (YAML with line tracking, pydantic,
  template checks, compiling) against `yaml.safe_load` of the same files;
- run: a whole `confirm` dialog (keys "11", the scripted conversation, evidence) against
  rendering the same texts the dialog says with plain Jinja2, no sandbox and no engine.

    .venv/bin/python bench/dialog_engine.py --runs 200

Printed: milliseconds per item (median of --repeat rounds) and the ratio ours / baseline.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Callable
from typing import Any

import jinja2
import yaml

from dozvon.dialog.context import template_context
from dozvon.dialog.engine import run_scenario
from dozvon.dialog.filters import DIALOG_FILTERS
from dozvon.dialog.library import builtin_dir, builtin_names, resolver_near
from dozvon.dialog.loader import load_file
from dozvon.dialog.scripted import ScriptedConversation
from dozvon.dialog.simdata import demo_data, dialog_data
from dozvon.speech.filters import FILTERS


def _timed(work: Callable[[], Any], runs: int, repeat: int) -> float:
    """Median over `repeat` rounds of the CPU milliseconds one call of `work` takes."""
    rounds = []
    for _ in range(repeat):
        start = time.process_time()
        for _ in range(runs):
            work()
        rounds.append((time.process_time() - start) * 1000 / runs)
    return statistics.median(rounds)


def _load_ours() -> None:
    for name in builtin_names():
        load_file(builtin_dir() / f"{name}.yaml")


def _load_baseline() -> None:
    for name in builtin_names():
        yaml.safe_load((builtin_dir() / f"{name}.yaml").read_text(encoding="utf-8"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    data = dialog_data(demo_data(), "bench")
    scenario = load_file(builtin_dir() / "confirm.yaml")
    resolve = resolver_near(scenario)

    async def dialogs(count: int) -> list[str]:
        said: list[str] = []
        for _ in range(count):
            line = ScriptedConversation("11")
            await run_scenario(scenario, line, data, resolve=resolve)
            said = [s.text for s in line.transcript if s.kind in ("say", "ask")]
        return said

    spoken = asyncio.run(dialogs(1))
    plain = jinja2.Environment(undefined=jinja2.StrictUndefined)
    plain.filters.update(FILTERS)
    plain.filters.update(DIALOG_FILTERS)
    used = [plain.from_string(source) for source in scenario.texts]
    context = {**template_context(data, "voice", scenario.header.options), "answers": {}, "api": {}}
    rendered = {" ".join(t.render(context).split()) for t in used}
    assert set(spoken) <= rendered, "baseline must render at least what the dialog said"

    load_ours = _timed(_load_ours, max(1, args.runs // 20), args.repeat)
    load_base = _timed(_load_baseline, max(1, args.runs // 20), args.repeat)
    run_ours = _timed(lambda: asyncio.run(dialogs(10)), max(1, args.runs // 10), args.repeat) / 10
    run_base = _timed(lambda: [t.render(context) for t in used], args.runs, args.repeat)

    print(
        f"load {len(builtin_names())} built-in scenarios: ours {load_ours:.1f} ms, "
        f"yaml.safe_load {load_base:.1f} ms, ratio {load_ours / load_base:.1f}"
    )
    print(
        f"one confirm dialog: ours {run_ours:.2f} ms CPU, rendering its {len(used)} texts "
        f"with plain Jinja2 {run_base:.2f} ms, ratio {run_ours / run_base:.1f}"
    )


if __name__ == "__main__":
    main()

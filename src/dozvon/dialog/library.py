"""The built-in scenarios shipped with Dozvon, and how a scenario is found by name or path."""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

from dozvon.dialog.errors import ScenarioError, ScenarioErrors
from dozvon.dialog.loader import Resolver, Scenario, load_file
from dozvon.dialog.schema import ContinueWith

_PACKAGE = "dozvon.dialog.scenarios"


def builtin_names() -> list[str]:
    return sorted(path.stem for path in builtin_dir().glob("*.yaml"))


@cache
def builtin(name: str) -> Scenario:
    if name not in builtin_names():
        known = ", ".join(builtin_names())
        error = ScenarioError(name, None, f"нет встроенного сценария «{name}»; есть: {known}")
        raise ScenarioErrors([error])
    return load_file(builtin_dir() / f"{name}.yaml")


def builtin_dir() -> Path:
    """Installed as a regular package directory, so prompt files beside a scenario resolve."""
    return Path(str(resources.files(_PACKAGE)))


def find(name_or_path: str) -> Scenario:
    """A file path when one exists (or ends in .yaml), else a built-in scenario's name."""
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml") or path.is_file():
        return load_file(path)
    return builtin(name_or_path)


def resolver_near(scenario: Scenario) -> Resolver:
    """`continue_with` looks beside the scenario's own file first, then among the built-ins."""

    def resolve(name: str) -> Scenario:
        base = scenario.base_dir
        if base is not None and base.resolve() != builtin_dir().resolve():
            sibling = base / f"{name}.yaml"
            if sibling.is_file():
                return load_file(sibling)
        return builtin(name)

    return resolve


def check_links(scenario: Scenario, resolve: Resolver) -> list[ScenarioError]:
    """`continue_with` targets are other files: check they exist and have the label."""
    errors = []
    for index, step in enumerate(scenario.steps, start=1):
        if not isinstance(step, ContinueWith):
            continue
        target = step.continue_with
        where = f"шаг {index} (continue_with)"
        try:
            other = resolve(target.scenario)
        except ScenarioErrors as exc:
            line = scenario.step_lines[index - 1]
            errors.append(ScenarioError(scenario.file, line, exc.errors[0].message, where))
            continue
        if target.label and target.label not in other.labels:
            message = f"в сценарии «{target.scenario}» нет метки «{target.label}»"
            errors.append(
                ScenarioError(scenario.file, scenario.step_lines[index - 1], message, where)
            )
    return errors

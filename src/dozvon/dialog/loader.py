"""Read a scenario file into a checked `Scenario`, or say precisely what is wrong and where."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from dozvon.dialog import schema
from dozvon.dialog.errors import ScenarioError, ScenarioErrors
from dozvon.dialog.templates import (
    ROOTS,
    Names,
    Template,
    check_condition,
    check_text,
    compile_condition,
    compile_text,
    uses_dialog,
)
from dozvon.dialog.yamlsource import DataPath, LocatedData, load_yaml

_REQUIRABLE = ROOTS - {"answers", "api"}


@dataclass(frozen=True)
class Scenario:
    header: schema.Header
    steps: tuple[schema.Step, ...]
    labels: dict[str, int]
    file: str
    base_dir: Path | None
    texts: dict[str, Template] = field(repr=False)
    conditions: dict[str, Template] = field(repr=False)
    step_lines: tuple[int | None, ...] = field(default=(), repr=False)
    data_only: tuple[tuple[int, str], ...] = field(default=(), repr=False)
    """(step number, text) of the texts that need no answers: tried on the data before a call."""

    @property
    def name(self) -> str:
        return self.header.name


Resolver = Callable[[str], Scenario]
"""Finds a scenario by name, for `continue_with`."""


def load_file(path: Path) -> Scenario:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ScenarioErrors(
            [ScenarioError(str(path), None, "файл не в кодировке UTF-8")]
        ) from None
    return load_text(text, str(path), base_dir=path.parent)


def load_text(text: str, file: str, base_dir: Path | None = None) -> Scenario:
    """Raises `ScenarioErrors` with every problem found, each with its line."""
    try:
        located = load_yaml(text, file)
    except ScenarioError as error:
        raise ScenarioErrors([error]) from None
    return _Checker(located, base_dir).scenario()


class _Checker:
    def __init__(self, located: LocatedData, base_dir: Path | None) -> None:
        self.located = located
        self.base_dir = base_dir
        self.errors: list[ScenarioError] = []

    def scenario(self) -> Scenario:
        data = self.located.data
        if not isinstance(data, dict):
            self._error((), "ожидался сценарий: словарь с полями name, title, steps")
            raise ScenarioErrors(self.errors)
        header = self._validate(schema.Header, data, ())
        raw_steps: list[Any] = data["steps"] if isinstance(data.get("steps"), list) else []
        steps = [self._step(raw, index) for index, raw in enumerate(raw_steps)]
        if header is None or None in steps:
            raise ScenarioErrors(self.errors)
        checked = tuple(s for s in steps if s is not None)
        labels = self._labels(checked)
        self._check_header(header, labels)
        names = _saved_names(checked)
        texts: dict[str, Template] = {}
        conditions: dict[str, Template] = {}
        data_only: list[tuple[int, str]] = []
        for index, step in enumerate(checked):
            self._check_targets(step, index, labels)
            for source in self._check_templates(step, index, names, texts, conditions):
                if not uses_dialog(source):
                    data_only.append((index + 1, source))
        if self.errors:
            raise ScenarioErrors(self.errors)
        return Scenario(
            header,
            checked,
            labels,
            self.located.file,
            self.base_dir,
            texts,
            conditions,
            tuple(self.located.line_of(("steps", index)) for index in range(len(checked))),
            tuple(data_only),
        )

    def _step(self, raw: Any, index: int) -> schema.Step | None:
        path: DataPath = ("steps", index)
        if raw == "hangup":
            raw = {"hangup": None}
        if not isinstance(raw, dict):
            self._error(path, f"шаг должен быть словарём с одним из ключей: {_kinds()}", index)
            return None
        kinds = [key for key in raw if key in schema.STEP_KINDS]
        if len(kinds) != 1:
            unknown = [key for key in raw if key not in schema.STEP_KINDS and key != "label"]
            found = f"; найдено: {', '.join(kinds or unknown) or 'ничего'}"
            self._error(
                path, f"шаг должен содержать ровно один из ключей: {_kinds()}{found}", index
            )
            return None
        step: schema.Step | None = self._validate(schema.STEP_KINDS[kinds[0]], raw, path, index)
        return step

    def _validate(
        self, model: type[Any], data: Any, path: DataPath, index: int | None = None
    ) -> Any:
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            for loc, message in _merge_union_errors(exc, path):
                self._error(loc, message, index)
            return None

    def _labels(self, steps: tuple[schema.Step, ...]) -> dict[str, int]:
        labels: dict[str, int] = {}
        for index, step in enumerate(steps):
            if step.label is None:
                continue
            if step.label in labels:
                self._error(
                    ("steps", index, "label"),
                    f"метка «{step.label}» уже есть у шага {labels[step.label] + 1}",
                    index,
                )
            labels.setdefault(step.label, index)
        return labels

    def _check_header(self, header: schema.Header, labels: dict[str, int]) -> None:
        if header.on_answering_machine and header.on_answering_machine not in labels:
            self._error(("on_answering_machine",), _no_label(header.on_answering_machine, labels))
        for position, required in enumerate(header.requires):
            if required.split(".")[0] not in _REQUIRABLE:
                self._error(
                    ("requires", position),
                    f"«{required}»: ожидался путь от одного из: {', '.join(sorted(_REQUIRABLE))}",
                )

    def _check_targets(self, step: schema.Step, index: int, labels: dict[str, int]) -> None:
        for path, target in _targets(step):
            if target not in labels:
                self._error(("steps", index, *path), _no_label(target, labels), index)

    def _check_templates(
        self,
        step: schema.Step,
        index: int,
        names: Names,
        texts: dict[str, Template],
        conditions: dict[str, Template],
    ) -> list[str]:
        """Checks and compiles the step's templates; returns the texts among them."""
        compiled: list[str] = []
        for path, source, kind in _template_sources(step):
            where = ("steps", index, *path)
            if kind == "file":
                self._check_file(source, where, index)
                continue
            if kind == "condition":
                problems = check_condition(source, names)
            else:
                message = kind == "message"
                problems = check_text(source, Names(names.answers, names.api, message))
            for problem in problems:
                self._error(where, problem, index)
            if problems:
                continue
            if kind == "condition":
                conditions[source] = compile_condition(source)
            else:
                texts[source] = compile_text(source)
                compiled.append(source)
        return compiled

    def _check_file(self, name: str, where: DataPath, index: int) -> None:
        if self.base_dir is None:
            self._error(
                where, "запись из файла: сценарий без каталога, путь не к чему отнести", index
            )
            return
        path = (self.base_dir / name).resolve()
        if not path.is_relative_to(self.base_dir.resolve()):
            self._error(where, f"файл «{name}» должен лежать в каталоге сценария", index)
        elif not path.is_file():
            self._error(where, f"нет файла записи «{name}» рядом со сценарием", index)

    def _error(self, path: DataPath, message: str, index: int | None = None) -> None:
        step = None
        if index is not None:
            step = f"шаг {index + 1}"
            raw = self.located.data["steps"][index]
            if isinstance(raw, dict):
                kind = next((key for key in raw if key in schema.STEP_KINDS), None)
                label = raw.get("label")
                details = ", ".join(
                    str(part) for part in (kind, label and f"метка {label}") if part
                )
                step += f" ({details})" if details else ""
        error = ScenarioError(self.located.file, self.located.line_of(path), message, step)
        self.errors.append(error)


def _kinds() -> str:
    return ", ".join(schema.STEP_KINDS)


def _no_label(target: str, labels: dict[str, int]) -> str:
    known = ", ".join(labels) or "меток нет"
    return f"нет метки «{target}»; есть: {known}"


def _saved_names(steps: tuple[schema.Step, ...]) -> Names:
    answers: set[str] = set()
    api: set[str] = set()
    for step in steps:
        if isinstance(step, schema.Ask) and step.ask.save_as:
            answers.add(step.ask.save_as)
        elif isinstance(step, schema.Record):
            answers.add(step.record.save_as)
        elif isinstance(step, schema.CallApi):
            api.add(step.call_api.save_as)
    return Names(frozenset(answers), frozenset(api))


def _targets(step: schema.Step) -> Iterator[tuple[DataPath, str]]:
    if isinstance(step, schema.Goto):
        yield ("goto",), step.goto
    elif isinstance(step, schema.Ask):
        for key, target in step.ask.on_key.items():
            yield ("ask", "on_key", key), target
        for name in ("on_timeout", "on_invalid"):
            target = getattr(step.ask, name)
            if target:
                yield ("ask", name), target
    elif isinstance(step, schema.Branch):
        for position, case in enumerate(step.branch.cases):
            yield ("branch", "cases", position, "goto"), case.goto
        if step.branch.otherwise:
            yield ("branch", "else"), step.branch.otherwise
    elif isinstance(step, schema.Transfer) and step.transfer.on_error:
        yield ("transfer", "on_error"), step.transfer.on_error
    elif isinstance(step, schema.CallApi):
        yield ("call_api", "on_error"), step.call_api.on_error


def _template_sources(step: schema.Step) -> Iterator[tuple[DataPath, str, str]]:
    """(path, source, kind) where kind is text, message, condition or file."""
    if isinstance(step, schema.Say):
        yield from _prompt(("say",), step.say)
    elif isinstance(step, schema.LeaveMessage):
        for path, source, kind in _prompt(("leave_message",), step.leave_message):
            yield path, source, "message" if kind == "text" else kind
    elif isinstance(step, schema.Ask):
        yield from _prompt(("ask", "prompt"), step.ask.prompt)
        yield ("ask", "silence_text"), step.ask.silence_text, "text"
        yield ("ask", "invalid_text"), step.ask.invalid_text, "text"
    elif isinstance(step, schema.Branch):
        for position, case in enumerate(step.branch.cases):
            yield ("branch", "cases", position, "if"), case.when, "condition"
    elif isinstance(step, schema.Transfer):
        yield ("transfer", "target"), step.transfer.target, "text"
    elif isinstance(step, schema.Record) and step.record.prompt is not None:
        yield from _prompt(("record", "prompt"), step.record.prompt)
    elif isinstance(step, schema.CallApi):
        spec = step.call_api
        yield ("call_api", "url"), spec.url, "text"
        for name, value in spec.headers.items():
            yield ("call_api", "headers", name), value, "text"
        if spec.body is not None:
            yield ("call_api", "body"), spec.body, "text"
        for path, value in json_leaves(spec.json_body, ("call_api", "json")):
            yield path, value, "text"


def _prompt(path: DataPath, prompt: schema.PromptSpec) -> Iterator[tuple[DataPath, str, str]]:
    if isinstance(prompt, schema.PromptFile):
        yield (*path, "file"), prompt.file, "file"
    else:
        yield path, prompt, "text"


def json_leaves(value: Any, path: DataPath) -> Iterator[tuple[DataPath, str]]:
    """Every string inside a JSON body template: each is a template of its own."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from json_leaves(item, (*path, key))
    elif isinstance(value, list):
        for position, item in enumerate(value):
            yield from json_leaves(item, (*path, position))


_MESSAGES = {
    "missing": "не хватает обязательного поля",
    "extra_forbidden": "неизвестное поле: проверьте написание",
    "string_type": "ожидался текст",
    "string_too_short": "текст пуст",
    "string_too_long": "текст слишком длинный",
    "string_pattern_mismatch": "ожидалось имя из латинских строчных букв, цифр и _: confirm_visit",
    "int_type": "ожидалось целое число",
    "int_parsing": "ожидалось целое число",
    "int_from_float": "ожидалось целое число",
    "float_type": "ожидалось число",
    "float_parsing": "ожидалось число",
    "bool_type": "ожидалось true или false",
    "bool_parsing": "ожидалось true или false",
    "dict_type": "ожидался словарь (ключ: значение)",
    "list_type": "ожидался список (строки, начинающиеся с «- »)",
    "model_type": "ожидался словарь с полями",
    "model_attributes_type": "ожидался словарь с полями",
    "too_short": "список пуст",
    "none_required": "у этого шага нет параметров: пишите просто «- hangup»",
}


def _message(error: Any) -> str:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind in ("enum", "literal_error"):
        return "ожидалось одно из: " + str(ctx.get("expected", "")).replace(" or ", ", ")
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        sign = {"greater_than": ">", "greater_than_equal": "≥", "less_than": "<"}.get(kind, "≤")
        bound = next(iter(ctx.values()), "")
        return f"ожидалось число {sign} {bound}"
    if kind == "string_type" and isinstance(error.get("input"), bool):
        return "ожидался текст; yes, no, on, off в YAML значат true/false — возьмите в кавычки"
    if kind == "value_error":
        return str(error["msg"]).removeprefix("Value error, ")
    return _MESSAGES.get(kind, str(error["msg"]))


def _merge_union_errors(exc: ValidationError, base: DataPath) -> list[tuple[DataPath, str]]:
    """Pydantic reports one error per member of a union; an author wants one line per place."""
    merged: dict[DataPath, list[str]] = {}
    for error in exc.errors():
        path = tuple(part for part in error["loc"] if _is_data_key(part))
        message = _message(error)
        if error["type"] in ("missing", "extra_forbidden") and path:
            message = f"«{path[-1]}»: {message}"
        full = (*base, *path)
        if message not in merged.setdefault(full, []):
            merged[full].append(message)
    return [(path, " или ".join(messages)) for path, messages in merged.items()]


def _is_data_key(part: Any) -> bool:
    """Union members show up in `loc` as type names; keep only the parts that are data keys."""
    if isinstance(part, int):
        return True
    return not (part in ("str", "PromptFile", "none") or "[" in str(part) or part[:1].isupper())

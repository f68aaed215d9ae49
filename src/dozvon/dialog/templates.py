"""Scenario templates: Jinja2 in a sandbox that sees only the data we hand it.

The sandbox refuses underscores (``__class__``), every method call, and the operators that could
allocate without bound (``'a' * 10**9``, ``2 ** 10**9``, ``'%999999999s' % x``). Globals such as
``range``, ``cycler`` and ``lipsum`` are removed, and only a short list of filters is kept.
Loops are bounded statically (no macros, no recursive loops, at most two nested ``for``), because
a sandbox cannot interrupt a template that spins the CPU.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Set
from dataclasses import dataclass
from typing import Any

from jinja2 import StrictUndefined, TemplateError, meta, nodes, pass_context
from jinja2.exceptions import SecurityError, UndefinedError
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment

from dozvon.dialog.errors import TemplateFailure
from dozvon.dialog.filters import DIALOG_FILTERS
from dozvon.dialog.written import WRITTEN_FILTERS
from dozvon.speech.filters import FILTERS as SPEECH_FILTERS

ROOTS = frozenset(
    {
        "clinic",
        "branch",
        "patient",
        "appointments",
        "appointment",
        "call",
        "options",
        "answers",
        "api",
    }
)
"""Every name a template may start from; answers and api are filled in as the dialog runs."""

MAX_REPEAT = 1000
"""Longest string or list that ``*`` may build."""
MAX_EXPONENT = 64
MAX_NESTED_LOOPS = 2
MAX_OUTPUT = 4000

_KEPT_FILTERS = [
    "abs",
    "capitalize",
    "count",
    "d",
    "default",
    "dictsort",
    "first",
    "float",
    "int",
    "items",
    "join",
    "last",
    "length",
    "list",
    "lower",
    "map",
    "max",
    "min",
    "reject",
    "rejectattr",
    "round",
    "select",
    "selectattr",
    "sort",
    "string",
    "sum",
    "title",
    "trim",
    "truncate",
    "unique",
    "upper",
    "urlencode",
    "wordcount",
]
_REFUSED_NODES: dict[type[nodes.Node], str] = {
    nodes.Macro: "макросы ({% macro %})",
    nodes.CallBlock: "блоки {% call %}",
    nodes.Call: "вызовы функций и методов (используйте фильтры: {{ x | name_ru('datv') }})",
    nodes.Include: "{% include %}",
    nodes.Import: "{% import %}",
    nodes.FromImport: "{% from ... import %}",
    nodes.Extends: "{% extends %}",
    nodes.Block: "{% block %}",
}


class _Sandbox(ImmutableSandboxedEnvironment):
    intercepted_binops = frozenset({"*", "**", "%"})

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        if callable(value):
            return False
        return bool(super().is_safe_attribute(obj, attr, value))

    def call_binop(self, context: Any, operator_name: str, left: Any, right: Any) -> Any:
        if operator_name == "**" and _too_big_power(left, right):
            raise SecurityError(f"степень {right} слишком велика")
        if operator_name == "*" and _too_long_repeat(left, right):
            raise SecurityError(f"повторение больше {MAX_REPEAT} элементов запрещено")
        if operator_name == "%" and isinstance(left, str):
            raise SecurityError("форматирование строк через % запрещено")
        return self.binop_table[operator_name](left, right)


def _too_big_power(base: Any, exponent: Any) -> bool:
    if not (isinstance(base, int) and isinstance(exponent, int)):
        return False
    return abs(base) > 1 and exponent > MAX_EXPONENT


def _too_long_repeat(left: Any, right: Any) -> bool:
    for seq, count in ((left, right), (right, left)):
        if isinstance(seq, str | list | tuple) and isinstance(count, int):
            return len(seq) * count > MAX_REPEAT
    return False


def _make_environment() -> _Sandbox:
    env = _Sandbox(undefined=StrictUndefined, autoescape=False, loader=None)
    env.globals.clear()
    builtin = env.filters
    env.filters = {name: builtin[name] for name in _KEPT_FILTERS}
    env.filters.update(SPEECH_FILTERS)
    env.filters.update(DIALOG_FILTERS)
    for name, written in WRITTEN_FILTERS.items():
        env.filters[name] = _by_channel(env.filters[name], written)
    return env


def _by_channel(spoken: Callable[..., Any], written: Callable[..., Any]) -> Callable[..., Any]:
    """The spoken form on a call, the written one in a message (by `call.channel`)."""

    @pass_context
    def choose(context: Context, value: Any, *args: Any, **kwargs: Any) -> Any:
        call = context.get("call")
        channel = call.get("channel", "voice") if isinstance(call, Mapping) else "voice"
        return (spoken if channel == "voice" else written)(value, *args, **kwargs)

    return choose


_ENV = _make_environment()


@dataclass(frozen=True, slots=True)
class Template:
    """A checked template, compiled once when the scenario loads."""

    source: str
    _render: Callable[[Mapping[str, Any]], str]

    def render(self, context: Mapping[str, Any]) -> str:
        try:
            text = self._render(context)
        except SecurityError as exc:
            raise TemplateFailure(f"шаблон сделал запрещённое: {exc}") from None
        except UndefinedError as exc:
            raise TemplateFailure(f"в шаблоне нет такого значения: {exc}") from None
        except RecursionError:
            raise TemplateFailure("шаблон слишком глубоко вложен") from None
        except (TemplateError, TypeError, ValueError, ArithmeticError, LookupError) as exc:
            raise TemplateFailure(f"шаблон не сработал: {exc}") from None
        if len(text) > MAX_OUTPUT:
            raise TemplateFailure(f"текст длиннее {MAX_OUTPUT} символов")
        return text


def compile_text(source: str) -> Template:
    """A spoken text: whitespace and line breaks from YAML collapse into single spaces."""
    template = _ENV.from_string(source)

    def render(context: Mapping[str, Any]) -> str:
        return " ".join(template.render(context).split())

    return Template(source, render)


def compile_condition(source: str) -> Template:
    """A ``branch`` condition: a Jinja2 expression, rendered as "1" when true."""
    expression = _ENV.compile_expression(source, undefined_to_none=False)

    def render(context: Mapping[str, Any]) -> str:
        return "1" if expression(**context) else ""

    return Template(source, render)


def check_text(source: str, names: Names) -> list[str]:
    """Problems a template would hit at run time, found before any call is made."""
    try:
        tree = _ENV.parse(source)
    except TemplateError as exc:
        return [f"ошибка в шаблоне: {exc}"]
    return _check_tree(tree, names)


def uses_dialog(source: str) -> bool:
    """Whether a (checked) text needs what the dialog gathers: answers or API results."""
    return bool(meta.find_undeclared_variables(_ENV.parse(source)) & {"answers", "api"})


def check_condition(source: str, names: Names) -> list[str]:
    try:
        tree = _ENV.parse("{{ (" + source + ") }}")
    except TemplateError as exc:
        return [f"ошибка в условии: {exc}"]
    return _check_tree(tree, names)


@dataclass(frozen=True, slots=True)
class Names:
    """What a template may refer to: roots, and the answers and API results the scenario saves."""

    answers: Set[str]
    api: Set[str]
    message_only: bool = False
    """A message for an answering machine: only ``clinic`` and ``branch.phone`` are allowed."""


def _check_tree(tree: nodes.Template, names: Names) -> list[str]:
    problems: list[str] = []
    for node, parent in _walk(tree, None):
        refused = next(
            (what for kind, what in _REFUSED_NODES.items() if isinstance(node, kind)), None
        )
        if refused:
            problems.append(f"в шаблонах нельзя использовать {refused}")
        elif isinstance(node, nodes.For) and node.recursive:
            problems.append("рекурсивные циклы в шаблонах запрещены")
        elif isinstance(node, nodes.Pow):
            problems.append("возведение в степень в шаблонах запрещено")
        elif isinstance(node, nodes.Mul | nodes.Mod) and _is_text_or_list(node.left, node.right):
            problems.append("повторение и %-форматирование строк и списков в шаблонах запрещены")
        elif isinstance(node, nodes.Getattr) and node.attr.startswith("_"):
            problems.append(f"обращение к «{node.attr}» запрещено")
        elif isinstance(node, nodes.Filter) and node.name not in _ENV.filters:
            known = ", ".join(sorted(_ENV.filters))
            problems.append(f"нет фильтра «{node.name}»; есть: {known}")
        elif isinstance(node, nodes.Name) and node.ctx == "load":
            problems.extend(_check_name(node, parent, names))
    if _loop_depth(tree) > MAX_NESTED_LOOPS:
        problems.append(f"больше {MAX_NESTED_LOOPS} вложенных циклов {{% for %}} запрещено")
    local = {n.name for n in tree.find_all(nodes.Name) if n.ctx in ("store", "param")}
    if any(True for _ in tree.find_all(nodes.For)):
        local.add("loop")
    unknown = {n.name for n in tree.find_all(nodes.Name) if n.ctx == "load"} - ROOTS - local
    if unknown and not names.message_only:
        allowed = ", ".join(sorted(ROOTS))
        problems.append(f"неизвестные имена: {', '.join(sorted(unknown))}; доступны: {allowed}")
    return list(dict.fromkeys(problems))


def _check_name(node: nodes.Name, parent: nodes.Node | None, names: Names) -> list[str]:
    attr = _attribute(parent, node)
    if names.message_only:
        if node.name == "clinic" or (node.name == "branch" and attr == "phone"):
            return []
        shown = f"{node.name}.{attr}" if attr else node.name
        return [
            f"сообщение для автоответчика не может упоминать «{shown}»: "
            "там нельзя медицинских подробностей; разрешены только clinic и branch.phone"
        ]
    saved = {"answers": names.answers, "api": names.api}.get(node.name)
    if saved is not None and attr is not None and attr not in saved:
        known = ", ".join(sorted(saved)) or "ничего"
        return [f"{node.name}.{attr}: такого нет; сценарий сохраняет: {known}"]
    return []


def _is_text_or_list(*operands: nodes.Expr) -> bool:
    return any(
        isinstance(o, nodes.List | nodes.Tuple)
        or (isinstance(o, nodes.Const) and isinstance(o.value, str))
        for o in operands
    )


def _attribute(parent: nodes.Node | None, child: nodes.Node) -> str | None:
    if isinstance(parent, nodes.Getattr) and parent.node is child:
        return str(parent.attr)
    if (
        isinstance(parent, nodes.Getitem)
        and parent.node is child
        and isinstance(parent.arg, nodes.Const)
        and isinstance(parent.arg.value, str)
    ):
        return parent.arg.value
    return None


def _walk(
    node: nodes.Node, parent: nodes.Node | None
) -> Iterator[tuple[nodes.Node, nodes.Node | None]]:
    yield node, parent
    for child in node.iter_child_nodes():
        yield from _walk(child, node)


def _loop_depth(node: nodes.Node) -> int:
    inner = max((_loop_depth(child) for child in node.iter_child_nodes()), default=0)
    return inner + (1 if isinstance(node, nodes.For) else 0)

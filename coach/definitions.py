"""What exercise and routine definitions share: safe YAML with the line of every node, and
errors that read `file:line field: problem`, with a did-you-mean for a misspelt field.

A schema module (coach.exercises, coach.routines) gives its pydantic model, its DefinitionError
subclass and the noun for what it reads; `parse` and `read` do the rest.
"""

from __future__ import annotations

import dataclasses
import difflib
import errno
import os
import types
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from coach.errors import CoachError
from coach.files import read_regular


@dataclasses.dataclass(frozen=True)
class Problem:
    """One thing wrong with a definition: where (`file`, 1-based `line` or None for the whole file,
    `field` as `count.depth` or "") and what."""

    file: str
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where} {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


class DefinitionError(CoachError):
    """An invalid definition; `problems` holds each Problem, in line order. Each schema raises
    its own subclass (an exercise's is an ExerciseError too)."""

    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(map(str, problems)))
        self.problems = problems


class FieldProblem(ValueError):
    """A cross-field check that failed, naming the field (relative to the model it is checked in)."""

    def __init__(self, loc: tuple, message: str):
        super().__init__(message)
        self.loc = loc


class Model(BaseModel):
    # Every float of every definition is finite: `.inf` or `.nan` passes `gt=0` and breaks the counter.
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


# ---------------------------------------------------------------------------------------------
# Loading: safe YAML with the line of every node, so a pydantic error can name its line. A
# definition is a few hundred values; the bounds below refuse what no definition needs, before
# it costs memory or time (an alias bomb, a device file, a 10,000-deep nesting).

MAX_FILE_BYTES = 1_000_000
MAX_VALUES = 10_000  # values in the document with every alias expanded
MAX_DEPTH = 50
MAX_NUMBER_CHARS = 40


class LineLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys (a silent override hides typos), deep nesting and
    numbers too long to be meant, and reports a bad value (a date 2020-13-45) at its line."""

    def __init__(self, text):
        super().__init__(text)
        self.depth = 0

    def compose_node(self, parent, index):
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                raise yaml.composer.ComposerError(None, None, f"nested more than {MAX_DEPTH} deep", self.peek_event().start_mark)
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1

    def construct_object(self, node, deep=False):
        if isinstance(node, yaml.ScalarNode) and len(node.value) > MAX_NUMBER_CHARS and self.resolve(
                yaml.ScalarNode, node.value, (True, False)) in ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float"):
            raise yaml.constructor.ConstructorError(None, None, f"a number of {len(node.value)} digits is too long", node.start_mark)
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, TypeError, OverflowError) as error:
            raise yaml.constructor.ConstructorError(None, None, f"cannot read this value: {error}", node.start_mark) from None


def construct_mapping(loader: LineLoader, node: yaml.MappingNode, deep=False):
    seen = set()
    for key_node, _ in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            raise yaml.constructor.ConstructorError(None, None, "`<<` merge keys are not used in definitions", key_node.start_mark)
        key = loader.construct_object(key_node, deep=deep)
        if not isinstance(key, (str, int, float, bool, type(None))):
            raise yaml.constructor.ConstructorError(None, None, "a key must be a plain name", key_node.start_mark)
        if key in seen:
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, construct_mapping)


def expanded_size(node, sizes: dict[int, int]) -> int:
    """How many values `node` stands for with every alias expanded; each node is counted once
    (an alias is the same node object again), so a bomb is measured without being built."""
    known = sizes.get(id(node))
    if known is not None:
        if known < 0:
            raise yaml.composer.ComposerError(None, None, "an alias refers to the value it is in", node.start_mark)
        return known
    sizes[id(node)] = -1
    children = node.value if isinstance(node, yaml.SequenceNode) else (
        [part for pair in node.value for part in pair] if isinstance(node, yaml.MappingNode) else [])
    size = 1
    for child in children:
        size += expanded_size(child, sizes)
        if size > MAX_VALUES:
            # Report the innermost node where the document blows up.
            raise yaml.composer.ComposerError(None, None, f"this expands (through aliases) to more than "
                                              f"{MAX_VALUES:,} values; a definition needs a few hundred", node.start_mark)
    sizes[id(node)] = size
    return size


def line_at(document, loc: tuple) -> int:
    """The 1-based line of the deepest part of `loc` the document has (a missing field: its
    parent's), found by walking down the nodes along `loc` only (never every alias path)."""
    node, line = document, document.start_mark.line + 1
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            pair = next(((k, v) for k, v in node.value if k.value == str(part)), None)
            if pair is None:
                break
            line, node = pair[0].start_mark.line + 1, pair[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            break
    return line


def did_you_mean(word, choices) -> str:
    """"; did you mean `x`?" for the choice closest to a misspelt `word`, else ""."""
    close = difflib.get_close_matches(str(word), list(choices), n=1)
    return f"; did you mean `{close[0]}`?" if close else ""


def inner(annotation, part):
    """The annotation one step further down a pydantic error location: a model's field, a list's
    item, a dict's value, or the member of a union that `part` names (a filter's tag)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        field = annotation.model_fields.get(part) if isinstance(part, str) else None
        return field.annotation if field is not None else None
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is list:
        return args[0]
    if origin is dict:
        return args[1]
    if origin in (typing.Union, types.UnionType):
        models = [a for a in args if isinstance(a, type) and issubclass(a, BaseModel)]
        for model in models:
            if any(part in typing.get_args(f.annotation) for f in model.model_fields.values()
                   if typing.get_origin(f.annotation) is Literal):
                return model
        return inner(models[0], part) if len(models) == 1 else None
    return None


def fields_beside(root: type[BaseModel], loc: tuple) -> list[str]:
    """The fields the schema `root` allows where the last part of a pydantic error location is."""
    annotation = root
    for part in loc[:-1]:
        annotation = inner(annotation, part)
    present = [a for a in typing.get_args(annotation) if a is not type(None)]
    if typing.get_origin(annotation) in (typing.Union, types.UnionType) and len(present) == 1:
        annotation = present[0]  # an optional section (`praise`)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return list(annotation.model_fields)
    return []


def describe(error: dict, root: type[BaseModel], loc: tuple | None = None) -> tuple[tuple, str]:
    """A pydantic error of the schema `root` as (location, message), with cross-field problems
    placed on their field. `loc`: the location to report, when the schema shortens pydantic's."""
    loc = tuple(error["loc"]) if loc is None else loc
    cause = (error.get("ctx") or {}).get("error")
    if isinstance(cause, FieldProblem):
        return (*loc, *cause.loc), str(cause)
    message = error["msg"]
    if error["type"] == "extra_forbidden":
        # The one place a schema reports a field it does not know: the CLI, the library and
        # the editor all show this.
        fields = fields_beside(root, error["loc"])
        message = "unknown field" + (did_you_mean(loc[-1], fields) or f" (the fields here: {', '.join(fields)})")
    elif error["type"] == "missing":
        message = "missing"
    elif isinstance(error.get("input"), (int, float, str)) and not isinstance(error.get("input"), bool):
        message = f"{message}, got {error['input']!r}"
    return loc, message.removeprefix("Value error, ")


@dataclasses.dataclass(frozen=True)
class Kind:
    """What a schema module reads: its pydantic `model`, the DefinitionError subclass it raises,
    `noun` for one file of it ("an exercise definition"), `fields` to name in the message for a
    file that is not a mapping, and `describe` for the errors only that schema knows (default:
    coach.definitions.describe)."""

    model: type[BaseModel]
    error: type[DefinitionError]
    noun: str
    fields: str
    describe: Callable[[dict], tuple[tuple, str]] | None = None


def control_character(text: str, source: str) -> Problem | None:
    """A character YAML forbids (NUL, form feed, ESC...), at its line; PyYAML's own check names
    only an offset, and raises before any mark exists."""
    found = yaml.reader.Reader.NON_PRINTABLE.search(text)
    if found is None:
        return None
    line = text.count("\n", 0, found.start()) + 1
    return Problem(source, line, "", f"control character U+{ord(found.group()[0]):04X} is not allowed in a definition")


def plain_syntax(error: yaml.MarkedYAMLError, lines: list[str]) -> tuple[int, str]:
    """A YAML error as (1-based line, plain words), at the line the mistake is on: PyYAML's
    "mapping values are not allowed here" points at the line after a missing colon, "expected ','
    or ']'" at wherever the list happened to end. The loader's own errors read plainly already."""
    problem, context = error.problem or "", error.context or ""
    at, opened = error.problem_mark or error.context_mark, error.context_mark or error.problem_mark
    line = at.line if at else 0  # 0-based while looking around
    text = lines[line] if line < len(lines) else ""
    if "'\\t'" in problem:
        where = "indent" if "\t" in text[: len(text) - len(text.lstrip())] else "separate"
        return line + 1, f"a tab; {where} with spaces"
    if "flow sequence" in context or "flow mapping" in context:
        bracket = "[" if "sequence" in context else "{"
        if at.line != opened.line or "<stream end>" in problem:  # the list ran on to the next line
            return opened.line + 1, f"an opening {bracket} is never closed"
        return line + 1, f"an opening {bracket} is not closed before {problem.rsplit(' ', 1)[-1]}"
    if "quoted scalar" in context and "end of stream" in problem:
        quote = lines[opened.line][opened.column] if opened.line < len(lines) else '"'
        return opened.line + 1, f"an opening {quote} is never closed"
    if "escape character" in problem:
        return line + 1, f"`\\{problem[-2]}` is not an escape in \"double quotes\"; use 'single quotes' for a backslash"
    if "simple key" in context:  # a key on its own line, with no colon
        return opened.line + 1, no_colon(lines[opened.line] if opened.line < len(lines) else "")
    if "found another document" in problem:
        return line + 1, "a second document (`---`): a definition is one document"
    if "mapping values are not allowed" in problem:
        before = text[: at.column]
        if ": " in before.lstrip("- "):
            return line + 1, "a second `: ` on this line; put a value that has `: ` in quotes"
        above = next((i for i in range(line - 1, -1, -1) if lines[i].strip() and not lines[i].lstrip().startswith("#")), None)
        if above is not None and ": " not in lines[above] and not lines[above].rstrip().endswith(":"):
            return above + 1, no_colon(lines[above])
        return line + 1, "this line is indented differently from the lines above it"
    if "expected <block end>" in problem:
        found = problem.rsplit("found ", 1)[-1].strip("'")
        if found in ("]", "}"):
            return line + 1, f"a closing {found} that no opening {'[' if found == ']' else '{'} matches"
        if text[: at.column].strip():
            return line + 1, "text after the value on this line; put the whole value in quotes"
        if found == "-":
            return line + 1, "a list item (`- `) where a `name: value` line was expected"
        return line + 1, "this line is indented differently from the lines above it"
    return line + 1, problem or context


def no_colon(line: str) -> str:
    """What is wrong with a `name: value` line that YAML read as one long name."""
    return "no space after the `:` (write `name: value`)" if ":" in line else "no `:` after the field name (write `name: value`)"


def parse(text: str, source: str, kind: Kind, context: dict | None = None):
    """A `kind.model` from YAML text; `kind.error` with each `source:line field: problem` otherwise.
    `context` goes to the model's validators (a routine's: the exercises it may name)."""
    bad = control_character(text, source)
    if bad is not None:
        raise kind.error([bad])
    loader = LineLoader(text)  # one pass: the nodes (their lines) and the data built from them
    try:
        document = loader.get_single_node()
        if document is not None:
            expanded_size(document, {})
        data = loader.construct_document(document) if document is not None else None
    except yaml.MarkedYAMLError as error:
        line, message = plain_syntax(error, text.splitlines())
        raise kind.error([Problem(source, line, "", message)]) from None
    except yaml.YAMLError as error:
        raise kind.error([Problem(source, None, "", f"not YAML: {error}")]) from None
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        raise kind.error([Problem(source, 1, "", f"{kind.noun} is a mapping of fields ({kind.fields})")])
    try:
        return kind.model.model_validate(data, context=context)
    except ValidationError as errors:
        problems = []
        for error in errors.errors():
            loc, message = kind.describe(error) if kind.describe else describe(error, kind.model)
            problems.append(Problem(source, line_at(document, loc), ".".join(str(part) for part in loc) or "(top)", message))
        raise kind.error(sorted(problems, key=lambda p: p.line)) from None


def read(path, kind: Kind, lossy: bool = False) -> str:
    """A definition file's text: a regular file of at most MAX_FILE_BYTES of UTF-8, else a
    `kind.error` naming it. A FIFO or a device (a link to /dev/zero) is refused, not read.
    `lossy` (for the editor, to fix the file in): bytes that are not UTF-8 become U+FFFD."""
    path = Path(path)

    def refuse(message: str, line: int | None = None):
        raise kind.error([Problem(str(path), line, "", message)])

    try:
        data = read_regular(path, MAX_FILE_BYTES)
    except OSError as error:
        if error.errno == errno.EFBIG:
            refuse(f"over {MAX_FILE_BYTES // 1_000_000} MB: not {kind.noun}")
        refuse(f"cannot read: {error.strerror}" if error.strerror else str(error))
    try:
        return data.decode("utf-8", errors="replace" if lossy else "strict")
    except UnicodeDecodeError as error:
        refuse(f"not UTF-8 text (byte {data[error.start]:#04x})", data.count(b"\n", 0, error.start) + 1)



class Library:
    """The definitions of one kind, loaded from folders: the built-in ones, then the user's (same
    id: the user's wins), each file once when the library is built. A bad user file only disables
    itself: its problems go to `problems` (for the CLI's list and the app to show) and the rest
    load; two files of one folder with one id are a problem too (the later, in name order, is
    used). `load(path)` reads one file (raising a DefinitionError); `noun` names the kind in
    messages ("exercises"). `items` maps each id to its definition, `sources` to its file.
    """

    def __init__(self, folders: tuple[Path, Path], load: Callable[[Path | str], BaseModel], noun: str):
        self.load = load
        self.items: dict[str, typing.Any] = {}
        self.sources: dict[str, Path] = {}
        self.problems: list[Problem] = []
        user = folders[-1]
        if user.exists() and not user.is_dir():
            self.problems.append(Problem(str(user), None, "", f"not a folder: your {noun} are not loaded"))
        for folder in folders:
            for path in sorted(folder.glob("*.yaml")) if folder.is_dir() else []:
                self.add(path, strict=False)

    def add(self, path: Path, strict: bool):
        """Load one more file (it wins over an earlier one with its id); `strict`: raise its
        DefinitionError rather than keep its problems. Returns the definition, None if it did not load."""
        try:
            item = self.load(path)
        except DefinitionError as error:
            if strict:
                raise
            self.problems.extend(error.problems)
            return None
        earlier = self.sources.get(item.id)
        if earlier is not None and earlier.parent == path.parent:
            self.problems.append(Problem(str(path), None, "", f"id {item.id!r} is also the id of {earlier.name}; "
                                         "this file replaces it (rename one)"))
        self.items[item.id] = item
        self.sources[item.id] = path
        return item

    def ids(self) -> list[str]:
        return sorted(self.items)

    def find(self, name: str):
        """A definition by id, or loaded from `name` when it is the path of a YAML file; None otherwise."""
        if name in self.items:
            return self.items[name]
        if is_path(name):
            return self.load(name)  # as given: messages name the file as the user wrote it
        return None


def is_path(name: str) -> bool:
    """Whether a name given for a definition is a file's path rather than an id."""
    return name.endswith((".yaml", ".yml")) or os.sep in name

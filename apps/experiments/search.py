"""MLflow's run search grammar: filter strings and order-by clauses, parsed into plain data.

    metrics.rmse < 0.8 AND params.model = 'rf' AND tags."mlflow.user" LIKE 'al%'
    attributes.status = 'FINISHED' AND run_id IN ('a1', 'b2') AND datasets.name = 'iris'
    order_by: ["metrics.rmse ASC", "attributes.start_time DESC", "params.`max depth`"]

Pure (no ORM): `parse_filter` and `parse_order_by` return `Clause` / `OrderBy` values that
`apps/experiments/selectors/tracking.py` turns into subqueries, and that the runs table of the
UI reuses for its filter box. Errors are `TrackingError(INVALID_PARAMETER_VALUE)` with MLflow's
wording, so the client shows the same messages as against MLflow.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

from apps.experiments.errors import invalid

METRIC, PARAM, TAG, ATTRIBUTE, DATASET = "metric", "param", "tag", "attribute", "dataset"

ENTITY_ALIASES = {
    "metric": METRIC,
    "metrics": METRIC,
    "param": PARAM,
    "params": PARAM,
    "parameter": PARAM,
    "parameters": PARAM,
    "tag": TAG,
    "tags": TAG,
    "attribute": ATTRIBUTE,
    "attributes": ATTRIBUTE,
    "attr": ATTRIBUTE,
    "run": ATTRIBUTE,
    "dataset": DATASET,
    "datasets": DATASET,
}
NUMERIC_ATTRIBUTES = {"start_time", "end_time"}
STRING_ATTRIBUTES = {"run_id", "run_name", "status", "user_id", "artifact_uri"}
ATTRIBUTE_ALIASES = {
    "created": "start_time",
    "Created": "start_time",
    "run name": "run_name",
    "Run name": "run_name",
    "Run Name": "run_name",
}
SEARCHABLE_ATTRIBUTES = NUMERIC_ATTRIBUTES | STRING_ATTRIBUTES
DATASET_KEYS = {"name", "digest", "context"}

NUMERIC_COMPARATORS = {"=", "!=", ">", ">=", "<", "<="}
STRING_COMPARATORS = {"=", "!=", "LIKE", "ILIKE", "IS NULL", "IS NOT NULL"}
STRING_ATTRIBUTE_COMPARATORS = {"=", "!=", "LIKE", "ILIKE", "IN", "NOT IN"}
DATASET_COMPARATORS = {"=", "!=", "LIKE", "ILIKE", "IN", "NOT IN"}
LIST_ATTRIBUTES = {"run_id"}

MAX_FILTER_LENGTH = 10_000


@dataclass(frozen=True)
class Clause:
    """One comparison of a filter: `kind.key comparator value` (value is a tuple for IN lists)."""

    kind: str
    key: str
    comparator: str
    value: float | int | str | tuple[str, ...] | None


@dataclass(frozen=True)
class OrderBy:
    """One order-by term; `kind` is metric/param/tag/attribute."""

    kind: str
    key: str
    ascending: bool = True


# --- tokenizer -------------------------------------------------------------------------------------
_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<string>'(?:[^']|'')*')
  | (?P<number>[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?(?![\w.]))
  | (?P<op>!=|<>|>=|<=|=|<|>)
  | (?P<lparen>\()
  | (?P<rparen>\))
  | (?P<comma>,)
  | (?P<identifier>(?:`[^`]*`|"[^"]*"|[^\s=!<>(),'"`])+)
    """,
    re.VERBOSE,
)
_KEYWORDS = {"AND", "LIKE", "ILIKE", "IN", "NOT", "IS", "NULL", "OR"}


@dataclass(frozen=True)
class _Token:
    kind: str
    text: str


def _tokens(text: str) -> list[_Token]:
    tokens, position = [], 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            raise invalid(
                f"Invalid filter string '{text}': could not parse near '{text[position : position + 20]}'."
            )
        position = match.end()
        kind = match.lastgroup
        if kind == "space":
            continue
        value = match.group()
        if kind == "identifier" and value.upper() in _KEYWORDS:
            kind, value = "keyword", value.upper()
        tokens.append(_Token(kind, value))
    return tokens


def _unquote(text: str) -> str:
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "`\"'":
        inner = text[1:-1]
        return inner.replace("''", "'") if text[0] == "'" else inner
    return text


@dataclass(frozen=True)
class Grammar:
    """What a filter may name: the entity prefixes and the attributes (runs and experiments differ)."""

    entities: dict
    numeric_attributes: frozenset
    string_attributes: frozenset
    attribute_aliases: dict
    list_attributes: frozenset = frozenset()

    @property
    def attributes(self) -> frozenset:
        return self.numeric_attributes | self.string_attributes


RUNS = Grammar(
    entities=ENTITY_ALIASES,
    numeric_attributes=frozenset(NUMERIC_ATTRIBUTES),
    string_attributes=frozenset(STRING_ATTRIBUTES),
    attribute_aliases=ATTRIBUTE_ALIASES,
    list_attributes=frozenset(LIST_ATTRIBUTES),
)
EXPERIMENTS = Grammar(
    entities={key: value for key, value in ENTITY_ALIASES.items() if value in (TAG, ATTRIBUTE)},
    numeric_attributes=frozenset({"creation_time", "last_update_time"}),
    string_attributes=frozenset({"name", "experiment_id"}),
    attribute_aliases={},
)


def _identifier(text: str, *, for_order_by: bool = False, grammar: Grammar = RUNS) -> tuple[str, str]:
    """`metrics.rmse` → ("metric", "rmse"); a bare name is an attribute (`status`, `run_name`)."""
    stripped = (
        _unquote(text) if text[:1] in '`"' and text[-1:] == text[:1] and text.count(text[0]) == 2 else text
    )
    if "." in stripped:
        entity, key = stripped.split(".", 1)
    else:
        entity, key = "attribute", stripped
    kind = grammar.entities.get(entity)
    if kind is None:
        valid = sorted({"param" if name == PARAM else name for name in grammar.entities.values()})
        raise invalid(f"Invalid entity type '{entity}'. Valid values are {valid}")
    key = _unquote(key)
    if not key:
        raise invalid(f"Invalid identifier '{text}': the key is missing.")
    if kind == ATTRIBUTE:
        key = grammar.attribute_aliases.get(key, key)
        if key not in grammar.attributes:
            raise invalid(
                f"Invalid attribute key '{key}' specified. Valid keys are '{sorted(grammar.attributes)}'"
            )
    if kind == DATASET and (for_order_by or key not in DATASET_KEYS):
        if for_order_by:
            raise invalid(f"Invalid order_by entity type '{entity}'")
        raise invalid(f"Invalid dataset key '{key}' specified. Valid keys are '{sorted(DATASET_KEYS)}'")
    return kind, key


# --- filter -----------------------------------------------------------------------------------------
class _Parser:
    def __init__(self, text: str, grammar: Grammar):
        self.text = text
        self.grammar = grammar
        self.tokens = _tokens(text)
        self.index = 0

    def peek(self) -> _Token | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def take(self) -> _Token:
        token = self.peek()
        if token is None:
            raise invalid(f"Invalid filter '{self.text}': it ends too early.")
        self.index += 1
        return token

    def keyword(self, word: str) -> bool:
        token = self.peek()
        if token is not None and token.kind == "keyword" and token.text == word:
            self.index += 1
            return True
        return False

    def clauses(self) -> list[Clause]:
        result = [self.clause()]
        while self.peek() is not None:
            if self.keyword("OR"):
                raise invalid("Invalid filter: 'OR' is not supported; combine clauses with AND.")
            if not self.keyword("AND"):
                raise invalid(
                    f"Invalid filter '{self.text}': expected AND between comparisons, "
                    f"found '{self.peek().text}'."
                )
            result.append(self.clause())
        return result

    def clause(self) -> Clause:
        token = self.take()
        if token.kind != "identifier":
            raise invalid(
                f"Invalid filter '{self.text}': expected a column such as metrics.rmse, found '{token.text}'."
            )
        kind, key = _identifier(token.text, grammar=self.grammar)
        comparator = self.comparator()
        if comparator in {"IS NULL", "IS NOT NULL"}:
            value = None
        elif comparator in {"IN", "NOT IN"}:
            value = self.string_list()
        else:
            value = self.value(kind, key)
        return _checked(Clause(kind, key, comparator, value), self.grammar)

    def comparator(self) -> str:
        token = self.take()
        if token.kind == "op":
            return "!=" if token.text == "<>" else token.text
        if token.kind == "keyword":
            if token.text in {"LIKE", "ILIKE", "IN"}:
                return token.text
            if token.text == "NOT" and self.keyword("IN"):
                return "NOT IN"
            if token.text == "IS":
                negated = self.keyword("NOT")
                if self.keyword("NULL"):
                    return "IS NOT NULL" if negated else "IS NULL"
        raise invalid(f"Invalid comparator '{token.text}' in filter '{self.text}'.")

    def value(self, kind: str, key: str):
        token = self.take()
        numeric = kind == METRIC or (kind == ATTRIBUTE and key in self.grammar.numeric_attributes)
        if numeric:
            if token.kind != "number":
                if kind == METRIC:
                    raise invalid(f"Expected numeric value type for metric. Found {token.text}")
                raise invalid(f"Expected numeric value type for numeric attribute: {key}. Found {token.text}")
            number = float(token.text)
            return int(number) if kind == ATTRIBUTE and number.is_integer() else number
        if token.kind == "string" or (
            token.kind == "identifier" and token.text[:1] == '"' and token.text[-1:] == '"'
        ):
            return _unquote(token.text)
        label = (
            "attribute" if kind == ATTRIBUTE else {PARAM: "parameter", TAG: "tag", DATASET: "dataset"}[kind]
        )
        raise invalid(f"Expected a quoted string value for {label} (e.g. 'my-value'). Got value {token.text}")

    def string_list(self) -> tuple[str, ...]:
        if self.take().kind != "lparen":
            raise invalid(
                "While parsing a list in the query, expected a parenthesised list of quoted strings."
            )
        values = []
        while True:
            token = self.take()
            if token.kind != "string" and not (token.kind == "identifier" and token.text[:1] == '"'):
                raise invalid(
                    "While parsing a list in the query, expected string value, punctuation, or whitespace, "
                    f"but got different type in list: {token.text}"
                )
            values.append(_unquote(token.text))
            token = self.take()
            if token.kind == "rparen":
                break
            if token.kind != "comma":
                raise invalid(f"While parsing a list in the query, expected ',' or ')', got {token.text}")
        return tuple(values)


def _checked(clause: Clause, grammar: Grammar) -> Clause:
    kind, key, comparator = clause.kind, clause.key, clause.comparator
    if kind == METRIC:
        allowed = NUMERIC_COMPARATORS
    elif kind in (PARAM, TAG):
        allowed = STRING_COMPARATORS
    elif kind == DATASET:
        allowed = DATASET_COMPARATORS
    elif key in grammar.numeric_attributes:
        allowed = NUMERIC_COMPARATORS
    else:
        allowed = STRING_ATTRIBUTE_COMPARATORS
    if comparator not in allowed:
        raise invalid(f"Invalid comparator '{comparator}' not one of '{sorted(allowed)}'")
    if kind == ATTRIBUTE and comparator in {"IN", "NOT IN"} and key not in grammar.list_attributes:
        raise invalid(
            f"Only {sorted(grammar.list_attributes)} attributes support comparison "
            "with a list of quoted string values."
        )
    return clause


def parse_filter(filter_string: str | None, grammar: Grammar = RUNS) -> list[Clause]:
    """The AND-ed comparisons of an MLflow filter string (empty for no filter)."""
    text = (filter_string or "").strip()
    if not text:
        return []
    if len(text) > MAX_FILTER_LENGTH:
        raise invalid(f"Filter string is too long (at most {MAX_FILTER_LENGTH} characters).")
    return _Parser(text, grammar).clauses()


# --- order by ---------------------------------------------------------------------------------------
def parse_order_by(clauses: list[str] | None, grammar: Grammar = RUNS) -> list[OrderBy]:
    """MLflow's order_by list (`"metrics.rmse DESC"`, `"start_time"`) as OrderBy terms."""
    result = []
    for text in clauses or []:
        if not isinstance(text, str):
            raise invalid(f"Invalid order_by clause '{text}'. Could not be parsed.")
        try:
            # As MLflow does: backticks quote like double quotes, then shell-like splitting.
            tokens = shlex.split(text.replace("`", '"'))
        except ValueError:
            raise invalid(f"Invalid order_by clause '{text}'. Could not be parsed.") from None
        if not tokens or len(tokens) > 2:
            raise invalid(f"Invalid order_by clause '{text}'. Could not be parsed.")
        ascending = True
        if len(tokens) == 2:
            direction = tokens[1].lower()
            if direction not in {"asc", "desc"}:
                raise invalid(f"Invalid ordering key in order_by clause '{text}'.")
            ascending = direction == "asc"
        kind, key = _identifier(tokens[0], for_order_by=True, grammar=grammar)
        result.append(OrderBy(kind, key, ascending))
    return result


# --- LIKE patterns ----------------------------------------------------------------------------------
def like_to_regex(pattern: str) -> str:
    """An anchored regular expression equivalent to SQL LIKE `pattern` (% any run, _ one character)."""
    parts = []
    for char in pattern:
        if char == "%":
            parts.append(".*")
        elif char == "_":
            parts.append(".")
        else:
            parts.append(re.escape(char))
    return "^" + "".join(parts) + "$"


def like_simple(pattern: str) -> tuple[str, str] | None:
    """A LIKE pattern as a plain lookup when it is one: ('exact'|'startswith'|'endswith'|'contains', text)."""
    if "_" in pattern:
        return None
    core = pattern.strip("%")
    if "%" in core:
        return None
    starts, ends = pattern.startswith("%"), pattern.endswith("%") and len(pattern) > 1
    if starts and ends:
        return "contains", core
    if ends:
        return "startswith", core
    if starts:
        return "endswith", core
    return "exact", core

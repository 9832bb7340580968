"""MLflow's registry search grammar: filter strings, order-by clauses and page tokens, as Q objects.

    name LIKE 'fraud%' AND tags.owner = 'alice'
    name IN ('fraud', 'churn') AND version_number >= 2 AND run_id = '0a1b…'

A filter is clauses joined by AND; a clause is `<key> <comparator> <value>`. Keys are attributes
(optionally prefixed `attribute.`/`attributes.`/`attr.`) or tags (`tags.<key>`, with the key
quoted in backticks or double quotes when it has other characters). Values are quoted strings,
integers, or a parenthesised list of strings for IN / NOT IN. LIKE/ILIKE take SQL wildcards
(`%`, `_`). Errors raise ValidationError with MLflow's wording; nothing is ever passed to SQL as
text.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Q, QuerySet

TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
      | (?P<backquoted>`[^`]*`)
      | (?P<number>-?\d+(?:\.\d+)?)
      | (?P<comparator>!=|<=|>=|=|<|>)
      | (?P<punct>[(),])
      | (?P<word>[A-Za-z_][\w\-]*(?:\.(?:[\w\-]+|`[^`]*`|"[^"]*"))*)
    )""",
    re.VERBOSE,
)
ATTRIBUTE_PREFIXES = ("attribute.", "attributes.", "attr.")
TAG_PREFIXES = ("tags.", "tag.")
WORD_COMPARATORS = {"LIKE", "ILIKE", "IN"}


@dataclass(frozen=True)
class Clause:
    """One `key comparator value` condition of a filter."""

    kind: str  # "attribute" or "tag"
    key: str
    comparator: str  # =, !=, <, <=, >, >=, LIKE, ILIKE, IN, NOT IN
    value: object  # str, int or a tuple of str (IN)


def _invalid(message: str) -> ValidationError:
    return ValidationError(message, code="invalid")


def _unquote(text: str) -> str:
    body = text[1:-1]
    return re.sub(r"\\(.)", r"\1", body)


def _tokens(filter_string: str) -> list[tuple[str, str]]:
    tokens, position = [], 0
    text = filter_string.strip()
    while position < len(text):
        match = TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise _invalid(
                f"Invalid filter '{filter_string}'. Could not be parsed at '{text[position:][:30]}'."
            )
        kind = match.lastgroup
        tokens.append((kind, match.group(kind)))
        position = match.end()
        while position < len(text) and text[position].isspace():
            position += 1
    return tokens


def _identifier(word: str, filter_string: str) -> tuple[str, str]:
    lowered = word.lower()
    for prefix in TAG_PREFIXES:
        if lowered.startswith(prefix):
            key = word[len(prefix) :]
            if key[:1] in '`"' and key[-1:] == key[:1] and len(key) >= 2:
                key = key[1:-1]
            if not key:
                raise _invalid(f"Invalid filter '{filter_string}': a tag needs a key.")
            return "tag", key
    for prefix in ATTRIBUTE_PREFIXES:
        if lowered.startswith(prefix):
            return "attribute", word[len(prefix) :]
    return "attribute", word


def parse_filter(filter_string: str | None) -> list[Clause]:
    """The clauses of an MLflow registry filter string (empty for no filter)."""
    if not filter_string or not filter_string.strip():
        return []
    tokens = _tokens(filter_string)
    clauses: list[Clause] = []
    index = 0

    def take() -> tuple[str, str]:
        nonlocal index
        if index >= len(tokens):
            raise _invalid(f"Invalid filter '{filter_string}'. It ends too early.")
        token = tokens[index]
        index += 1
        return token

    while True:
        kind, text = take()
        if kind == "backquoted":
            identifier = ("attribute", text[1:-1])
        elif kind == "word" and text.upper() not in {"AND", "NOT", *WORD_COMPARATORS}:
            identifier = _identifier(text, filter_string)
        else:
            raise _invalid(f"Invalid filter '{filter_string}'. Expected a key, got '{text}'.")
        kind, text = take()
        if kind == "comparator":
            comparator = text
        elif kind == "word" and text.upper() in WORD_COMPARATORS:
            comparator = text.upper()
        elif kind == "word" and text.upper() == "NOT":
            kind, text = take()
            if kind != "word" or text.upper() != "IN":
                raise _invalid(f"Invalid filter '{filter_string}'. Expected IN after NOT.")
            comparator = "NOT IN"
        else:
            raise _invalid(f"Invalid filter '{filter_string}'. Expected a comparator, got '{text}'.")
        if comparator in {"IN", "NOT IN"}:
            kind, text = take()
            if (kind, text) != ("punct", "("):
                raise _invalid(
                    f"Invalid filter '{filter_string}'. {comparator} takes a list like ('a', 'b')."
                )
            values = []
            while True:
                kind, text = take()
                if kind != "string":
                    raise _invalid(
                        f"Invalid filter '{filter_string}'. {comparator} lists hold quoted strings."
                    )
                values.append(_unquote(text))
                kind, text = take()
                if (kind, text) == ("punct", ")"):
                    break
                if (kind, text) != ("punct", ","):
                    raise _invalid(f"Invalid filter '{filter_string}'. Expected ',' or ')' in the list.")
            value: object = tuple(values)
        else:
            kind, text = take()
            if kind == "string":
                value = _unquote(text)
            elif kind == "number":
                value = float(text) if "." in text else int(text)
            else:
                raise _invalid(
                    f"Invalid filter '{filter_string}'. Expected a quoted string or a number, got '{text}'."
                )
        clauses.append(Clause(identifier[0], identifier[1], comparator, value))
        if index == len(tokens):
            return clauses
        kind, text = take()
        if kind != "word" or text.upper() != "AND":
            raise _invalid(
                f"Invalid filter '{filter_string}'. Clauses are joined by AND (OR is not supported)."
            )


def _like_regex(pattern: str) -> str:
    parts = []
    for character in pattern:
        if character == "%":
            parts.append(".*")
        elif character == "_":
            parts.append(".")
        else:
            parts.append(re.escape(character))
    return "^" + "".join(parts) + "$"


def string_condition(field: str, comparator: str, value) -> Q:
    """A Q object for one string comparison (LIKE patterns become anchored regexes)."""
    if comparator in {"IN", "NOT IN"}:
        condition = Q(**{f"{field}__in": list(value)})
        return ~condition if comparator == "NOT IN" else condition
    if not isinstance(value, str):
        raise _invalid(f"Expected a quoted string for '{field}', got {value!r}.")
    if comparator == "=":
        return Q(**{field: value})
    if comparator == "!=":
        return ~Q(**{field: value})
    if comparator in {"LIKE", "ILIKE"}:
        insensitive = comparator == "ILIKE"
        inner = value[1:-1] if len(value) >= 2 and value[0] == value[-1] == "%" else None
        if inner is not None and "%" not in inner and "_" not in inner:
            return Q(**{f"{field}__{'icontains' if insensitive else 'contains'}": inner})
        if "%" not in value and "_" not in value:
            return Q(**{f"{field}__{'iexact' if insensitive else 'exact'}": value})
        return Q(**{f"{field}__{'iregex' if insensitive else 'regex'}": _like_regex(value)})
    raise _invalid(f"Invalid comparator '{comparator}' for a string.")


def numeric_condition(field: str, comparator: str, value) -> Q:
    """A Q object for one integer comparison."""
    if isinstance(value, float | tuple):
        raise _invalid(f"Invalid value for numeric attribute: {value!r}")
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise _invalid(f"Invalid value for numeric attribute: {value!r}") from None
    lookups = {"=": "exact", "<": "lt", "<=": "lte", ">": "gt", ">=": "gte"}
    if comparator == "!=":
        return ~Q(**{field: number})
    if comparator not in lookups:
        raise _invalid(f"Invalid comparator '{comparator}' for a number.")
    return Q(**{f"{field}__{lookups[comparator]}": number})


PROMPT_TAG = "mlflow.prompt.is_prompt"


def asks_for_prompts(clauses: list[Clause]) -> bool:
    """Whether a filter selects MLflow prompts (kept as models tagged `mlflow.prompt.is_prompt`)."""
    for clause in clauses:
        if clause.kind == "tag" and clause.key == PROMPT_TAG and isinstance(clause.value, str):
            value = clause.value.lower()
            return (clause.comparator == "=" and value == "true") or (
                clause.comparator == "!=" and value == "false"
            )
    return False


def prompt_condition(tag_queryset: QuerySet, owner_field: str, *, prompts: bool) -> Q:
    """Only prompts, or (MLflow's default for every search) everything but prompts."""
    tagged = Q(
        Exists(tag_queryset.filter(**{owner_field: OuterRef("pk")}, key=PROMPT_TAG, value__iexact="true"))
    )
    return tagged if prompts else ~tagged


def tag_condition(tag_queryset: QuerySet, owner_field: str, clause: Clause) -> Q:
    """Rows having a tag `clause.key` whose value matches (an EXISTS subquery per tag clause)."""
    if clause.comparator not in {"=", "!=", "LIKE", "ILIKE"}:
        raise _invalid(f"Invalid comparator for tag: {clause.comparator}")
    if clause.key == PROMPT_TAG:  # models have no such tag: the prompt condition covers it
        return Q()
    matching = tag_queryset.filter(
        string_condition("value", clause.comparator, clause.value),
        **{owner_field: OuterRef("pk")},
        key=clause.key,
    )
    return Q(Exists(matching))


# --- order by and page tokens --------------------------------------------------------------
def parse_order_by(clauses: list[str], *, allowed: dict[str, str]) -> list[tuple[str, bool]]:
    """(field, ascending) pairs for MLflow order-by clauses like `name ASC`, keys mapped by `allowed`."""
    parsed, seen = [], set()
    for clause in clauses or []:
        if not isinstance(clause, str):
            raise _invalid(f"Invalid order_by clause {clause!r}.")
        words = clause.replace("`", " ").split()
        if not words or len(words) > 2:
            raise _invalid(f"Invalid order_by clause '{clause}'. Could not be parsed.")
        ascending = True
        if len(words) == 2:
            if words[1].upper() not in {"ASC", "DESC"}:
                raise _invalid(f"Invalid ordering key in order_by clause '{clause}'.")
            ascending = words[1].upper() == "ASC"
        key = words[0]
        for prefix in ATTRIBUTE_PREFIXES:
            if key.lower().startswith(prefix):
                key = key[len(prefix) :]
        if key not in allowed:
            raise _invalid(f"Invalid order by key '{key}' specified. Valid keys are {sorted(allowed)}.")
        field = allowed[key]
        if field in seen:
            raise _invalid(f"`order_by` contains duplicate fields: {clauses}")
        seen.add(field)
        parsed.append((field, ascending))
    return parsed


def page_token_offset(page_token: str | None) -> int:
    """The offset a page token stands for (MLflow's base64 JSON `{"offset": n}`)."""
    if not page_token:
        return 0
    try:
        decoded = json.loads(base64.b64decode(page_token, validate=True))
        offset = decoded["offset"]
    except (binascii.Error, ValueError, TypeError, KeyError, UnicodeDecodeError):
        raise _invalid("Invalid page token, could not base64-decode") from None
    if not isinstance(offset, int) or isinstance(offset, bool) or offset < 0:
        raise _invalid(f"Invalid page token, parsed value={decoded}")
    return offset


def page_token_for(offset: int) -> str:
    return base64.b64encode(json.dumps({"offset": offset}).encode()).decode()

"""Writes for the glossary and tags: terms, and the tags and terms a dataset carries."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify

from apps.catalog.models import Column, Dataset, GlossaryTerm, Tag
from apps.core.history import acting_user
from apps.teams.models import Team

TERM_FIELDS = {"name", "definition", "synonyms", "visibility"}
TAG_MAX_LENGTH = 60
MAX_TAGS = 30


def _clean_synonyms(synonyms) -> list[str]:
    if isinstance(synonyms, str):
        synonyms = synonyms.split(",")
    seen, cleaned = set(), []
    for item in synonyms or []:
        text = str(item).strip()[:120]
        if text and text.lower() not in seen:
            seen.add(text.lower())
            cleaned.append(text)
    return cleaned[:50]


def glossary_term_unique_slug(*, name: str, exclude_pk: int | None = None) -> str:
    """A slug for `name` no other term uses (terms share one namespace: a glossary is organisation-wide)."""
    base = slugify(name)[:110] or "term"
    if base == "new":  # /catalog/glossary/new/ is the create page
        base = "new-term"
    taken = set(
        GlossaryTerm.objects.filter(slug__startswith=base)
        .exclude(pk=exclude_pk)
        .values_list("slug", flat=True)
    )
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


def _name_check(*, team: Team, name: str, exclude_pk: int | None = None) -> None:
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "Give the term a name."})
    if GlossaryTerm.objects.filter(team=team, name__iexact=name).exclude(pk=exclude_pk).exists():
        raise ValidationError({"name": f"{team.name} already defines “{name}”. Edit that term instead."})


def _set_relations(term: GlossaryTerm, owners, related) -> None:
    if owners is not None:
        term.owners.set(list(owners))
    if related is not None:
        term.related.set([other for other in related if other.pk != term.pk])


@transaction.atomic
def glossary_term_create(
    *,
    team: Team,
    by,
    name: str,
    definition: str,
    synonyms=(),
    visibility: str = "internal",
    owners: Iterable | None = None,
    related: Iterable | None = None,
) -> GlossaryTerm:
    """Define a term for `team`; its owners default to its author."""
    _name_check(team=team, name=name)
    term = GlossaryTerm(
        team=team,
        name=name.strip(),
        slug=glossary_term_unique_slug(name=name),
        definition=definition,
        synonyms=_clean_synonyms(synonyms),
        visibility=visibility,
    )
    term.full_clean()
    with acting_user(by):
        term.save()
        _set_relations(term, owners if owners is not None else [by], related)
    return term


@transaction.atomic
def glossary_term_update(
    *, term: GlossaryTerm, by, owners: Iterable | None = None, related: Iterable | None = None, **changes
) -> GlossaryTerm:
    """Change a term's name, definition, synonyms, visibility, owners or related terms (slug stays)."""
    unknown = set(changes) - TERM_FIELDS
    if unknown:
        raise ValueError(f"Cannot change {sorted(unknown)} on a term.")
    if "name" in changes:
        _name_check(team=term.team, name=changes["name"], exclude_pk=term.pk)
        changes["name"] = changes["name"].strip()
    if "synonyms" in changes:
        changes["synonyms"] = _clean_synonyms(changes["synonyms"])
    for field, value in changes.items():
        setattr(term, field, value)
    term.full_clean()
    with acting_user(by):
        term.save()
        _set_relations(term, owners, related)
    return term


def tag_names_clean(names) -> list[str]:
    """Tag names from a list or a comma-separated text: trimmed, deduplicated ignoring case, validated."""
    if isinstance(names, str):
        names = names.split(",")
    seen, cleaned = set(), []
    for item in names or []:
        text = " ".join(str(item).split())
        if not text:
            continue
        if len(text) > TAG_MAX_LENGTH:
            raise ValidationError({"tags": f"A tag has at most {TAG_MAX_LENGTH} characters: “{text[:20]}…”."})
        if not slugify(text):
            raise ValidationError({"tags": f"“{text}” needs at least one letter or digit."})
        if text.lower() not in seen:
            seen.add(text.lower())
            cleaned.append(text)
    if len(cleaned) > MAX_TAGS:
        raise ValidationError({"tags": f"At most {MAX_TAGS} tags per dataset."})
    return cleaned


def _tag_for(name: str, by) -> Tag:
    """The tag with this name or slug, created on first use."""
    slug = slugify(name)[:TAG_MAX_LENGTH]
    tag = Tag.objects.filter(slug=slug).first() or Tag.objects.filter(name__iexact=name).first()
    if tag is None:
        with acting_user(by):
            tag = Tag.objects.create(name=name, slug=slug)
    return tag


@transaction.atomic
def dataset_tags_set(*, dataset: Dataset, by, names) -> list[Tag]:
    """Give `dataset` exactly these tags (created on first use); history records the change."""
    tags = [_tag_for(name, by) for name in tag_names_clean(names)]
    with acting_user(by):
        dataset.tags.set(tags)
    return tags


def _terms_visible_to(by, terms: Iterable[GlossaryTerm]) -> list[GlossaryTerm]:
    terms = list(terms)
    visible = set(
        GlossaryTerm.objects.restrict(by).filter(pk__in=[t.pk for t in terms]).values_list("pk", flat=True)
    )
    missing = [t for t in terms if t.pk not in visible]
    if missing:
        raise ValidationError({"terms": "Choose glossary terms from the list."})
    return terms


@transaction.atomic
def dataset_terms_set(*, dataset: Dataset, by, terms: Iterable[GlossaryTerm]) -> list[GlossaryTerm]:
    """Link `dataset` to exactly these glossary terms (ones `by` can see); history records the change."""
    terms = _terms_visible_to(by, terms)
    # Keep links to terms `by` cannot see (another team's private term linked by its owners).
    hidden = list(dataset.terms.exclude(pk__in=GlossaryTerm.objects.restrict(by).values("pk")))
    with acting_user(by):
        dataset.terms.set([*terms, *hidden])
    return terms


@transaction.atomic
def column_term_set(*, column: Column, by, term: GlossaryTerm | None) -> Column:
    """Link a column to a glossary term (or unlink it with None)."""
    if term is not None:
        _terms_visible_to(by, [term])
    column.term = term
    with acting_user(by):
        column.save(update_fields=["term"])
    return column

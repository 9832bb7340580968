"""Reads for the home page, activity feeds and history pages.

Every asset read goes through `restrict`; the asset registry lets these reach any
asset type without importing the app that owns it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.apps import apps
from django.db import models
from django.db.models import Q

from apps.core.assets import asset_types

HISTORY_VERBS = {"+": "created", "~": "changed", "-": "deleted"}


@dataclass
class ActivityItem:
    """One line of an activity feed: who did what to which object, when."""

    when: datetime
    who: str
    verb: str
    kind: str
    icon: str
    name: str
    url: str = ""
    detail: str = ""
    history_type: str = "~"  # "+", "~" or "-": the colour of the line (created, changed, removed)
    actor_username: str = ""  # links the person to their activity


@dataclass
class HistoryChange:
    field: str
    old: str | None
    new: str | None


@dataclass
class HistoryRow:
    """One historical record of an object with its field-level changes."""

    record: models.Model
    who: str
    verb: str
    changes: list[HistoryChange] = field(default_factory=list)


def team_owned_asset_types():
    """Registered asset types whose rows belong to a team (they have `team` and `restrict`)."""
    result = []
    for asset in asset_types():
        try:
            asset.model._meta.get_field("team")
        except Exception:  # noqa: S112 - an asset without a team has no team activity
            continue
        result.append(asset)
    return result


def _person(user) -> str:
    if user is None:
        return "System"
    return user.get_full_name() or user.get_username()


def home_summary(*, user) -> dict:
    """The signed-in person's teams, panels (announcements …), running jobs and their teams' activity."""
    from apps.core.activity import activity_recent, activity_url
    from apps.core.home import home_panels

    membership = apps.get_model("teams", "Membership")
    memberships = list(membership.objects.filter(user=user).select_related("team").order_by("team__name"))
    team_ids = [m.team_id for m in memberships]
    return {
        "memberships": memberships,
        "home_panels": home_panels(user=user),
        "running_jobs": running_jobs(user=user),
        "activity": activity_recent(user=user, team_ids=team_ids, limit=12) if team_ids else [],
        "activity_url": activity_url(),
    }


def running_jobs(*, user, limit: int = 10) -> list:
    """Queued and running jobs the user may see, newest first."""
    job = apps.get_model("jobs", "Job")
    return list(job.objects.restrict(user).active().select_related("requester", "team")[:limit])


# --- History pages ----------------------------------------------------------


def _display(field_object: models.Field, value, names: dict) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(field_object, models.ForeignKey):
        return names.get((field_object.related_model, value), "(removed)")
    if field_object.choices:
        return str(dict(field_object.flatchoices).get(value, value))
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _tracked_fields(record) -> list[models.Field]:
    return [f for f in record.instance_type._meta.fields if f.editable and not f.primary_key]


def history_rows(records: Sequence[models.Model], older: models.Model | None) -> list[HistoryRow]:
    """Field-level diffs for one object's records (newest first); `older` precedes the last one.

    Foreign keys are shown by name, choices by label. Queries: one per related
    model that appears in the page, whatever the number of records.
    """
    chain = list(records) + ([older] if older is not None else [])
    raw: list[tuple[models.Model, list[tuple[models.Field, object, object]]]] = []
    wanted: dict[type[models.Model], set] = defaultdict(set)
    for index, record in enumerate(records):
        previous = chain[index + 1] if index + 1 < len(chain) else None
        # The name first, then the fields in model order: a creation row reads like a card.
        ordered = sorted(_tracked_fields(record), key=lambda f: f.name != "name")
        fields = {f.name: f for f in ordered}
        changes = []
        if previous is None or record.history_type == "+":
            for field_object in fields.values():
                value = getattr(record, field_object.attname, None)
                if value not in (None, ""):
                    changes.append((field_object, None, value))
        elif record.history_type != "-":
            delta = record.diff_against(previous, included_fields=list(fields))
            for change in delta.changes:
                changes.append((fields[change.field], change.old, change.new))
        for field_object, old, new in changes:
            if isinstance(field_object, models.ForeignKey):
                wanted[field_object.related_model].update(v for v in (old, new) if v is not None)
        raw.append((record, changes))

    names: dict = {}
    for model, ids in wanted.items():
        for obj in model._base_manager.filter(pk__in=ids):
            names[(model, obj.pk)] = str(obj)

    rows = []
    for record, changes in raw:
        rows.append(
            HistoryRow(
                record=record,
                who=_person(record.history_user),
                verb=HISTORY_VERBS.get(record.history_type, "changed"),
                changes=[
                    HistoryChange(
                        field=str(f.verbose_name).capitalize(),
                        old=_display(f, old, names),
                        new=_display(f, new, names),
                    )
                    for f, old, new in changes
                ],
            )
        )
    return rows


def history_page(obj: models.Model, *, page_number, page_size: int = 25):
    """One page of `obj`'s history as rows with diffs; `obj` must come from `restrict` already."""
    from django.core.paginator import Paginator

    records = obj.history.select_related("history_user").order_by("-history_date", "-history_id")
    page = Paginator(records, page_size).get_page(page_number)
    on_page = list(page.object_list)
    older = None
    if on_page and page.has_next():
        last = on_page[-1]
        older = (
            obj.history.filter(
                Q(history_date__lt=last.history_date)
                | Q(history_date=last.history_date, history_id__lt=last.history_id)
            )
            .order_by("-history_date", "-history_id")
            .first()
        )
    return page, history_rows(on_page, older)

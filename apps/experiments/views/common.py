"""Helpers shared by the experiment views: access mixins, CSV responses, service errors on forms."""

from __future__ import annotations

import csv
from collections.abc import Iterable

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import StreamingHttpResponse
from django.utils import timezone
from django.utils.text import slugify

from apps.core.permissions import Action
from apps.experiments.selectors import pages as selectors


class ExperimentMixin(LoginRequiredMixin):
    """Loads the experiment through `restrict` (404 if invisible) and checks the view's action (403)."""

    action = Action.VIEW

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.experiment = selectors.experiment_get(user=request.user, pk=kwargs["pk"])
        if self.action != Action.VIEW and not selectors.experiment_user_may(
            user=request.user, experiment=self.experiment, action=self.action
        ):
            raise PermissionDenied("Your role in this experiment's team may not change it.")
        return super().dispatch(request, *args, **kwargs)


class RunMixin(LoginRequiredMixin):
    """Loads the run through its experiment's `restrict` (404 if invisible), checks the action (403)."""

    action = Action.VIEW

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.run = selectors.run_get(user=request.user, uuid=kwargs["uuid"])
        self.experiment = self.run.experiment
        if self.action != Action.VIEW and not selectors.run_user_may(
            user=request.user, run=self.run, action=self.action
        ):
            raise PermissionDenied("Your role in this experiment's team may not change its runs.")
        return super().dispatch(request, *args, **kwargs)


def csv_cell(value) -> str:
    """A CSV cell that a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") and not _is_number(text) else text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


class _Echo:
    def write(self, value):
        return value


def csv_response(rows: Iterable[Iterable], *, name: str) -> StreamingHttpResponse:
    """Stream `rows` as a CSV download named `<name>-<stamp>.csv` (cells made formula-safe)."""
    writer = csv.writer(_Echo())
    stream = (writer.writerow([csv_cell(cell) for cell in row]) for row in rows)
    response = StreamingHttpResponse(stream, content_type="text/csv; charset=utf-8")
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="{slugify(name)[:80] or "export"}-{stamp}.csv"'
    return response


def apply_service_errors(form, error: ValidationError) -> None:
    """Put a service's validation errors next to the matching fields (others at the top)."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            for item in errors:
                form.add_error(field if field in form.fields else None, item)
    else:
        form.add_error(None, error)

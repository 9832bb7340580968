"""Helpers shared by the experiment views: access mixins."""

from __future__ import annotations

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied

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

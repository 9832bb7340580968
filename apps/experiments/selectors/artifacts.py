"""Reads for artifacts: the run or logged model whose artifact root a user addresses."""

from __future__ import annotations

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied

from apps.core.permissions import Action
from apps.experiments.models import Experiment, LoggedModel, Run


def artifact_owner_get(
    *,
    user,
    experiment_id: str,
    run_uuid: str | None = None,
    model_id: str | None = None,
    action: str = Action.VIEW,
) -> Run | LoggedModel:
    """The run (or logged model) of `experiment_id` whose artifacts `user` may `action`.

    Raises ObjectDoesNotExist when it does not exist or the user cannot see it (the same answer
    either way), PermissionDenied when they can see it but their role does not allow `action`.
    """
    if not str(experiment_id).isdigit() or (run_uuid is None) == (model_id is None):
        raise ObjectDoesNotExist("No such artifact root.")
    if run_uuid is not None:
        owner = (
            Run.objects.restrict(user, Action.VIEW)
            .filter(uuid=run_uuid, experiment_id=int(experiment_id))
            .select_related("experiment")
            .first()
        )
    else:
        owner = (
            LoggedModel.objects.restrict(user, Action.VIEW)
            .filter(model_id=model_id, experiment_id=int(experiment_id))
            .select_related("experiment")
            .first()
        )
    if owner is None:
        raise ObjectDoesNotExist("No such artifact root.")
    if (
        action != Action.VIEW
        and not Experiment.objects.restrict(user, action).filter(pk=owner.experiment_id).exists()
    ):
        raise PermissionDenied(
            f"Your role in {owner.experiment.team} does not allow changing these artifacts."
        )
    return owner

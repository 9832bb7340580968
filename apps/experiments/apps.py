from django.apps import AppConfig


class ExperimentsConfig(AppConfig):
    name = "apps.experiments"
    label = "experiments"
    verbose_name = "Experiments"

    def ready(self) -> None:
        from django.db.models.signals import post_delete

        from apps.core.assets import register_asset
        from apps.experiments.models import Artifact, Experiment, LoggedModel, Run
        from apps.experiments.services.artifacts import artifact_row_deleted

        register_asset(Experiment, label="Experiment", icon="flask", section="experiments")
        register_asset(Run, label="Run", icon="player-play", section="experiments")
        register_asset(LoggedModel, label="Logged model", icon="package", section="experiments")
        from apps.experiments import search_documents  # in the one search, with their owners' permissions

        search_documents.register()
        import apps.experiments.training.jobs  # noqa: F401 - registers experiments.train and experiments.reproduce

        # A file leaves storage with its index row, however the row goes (a hard delete cascades).
        post_delete.connect(artifact_row_deleted, sender=Artifact, dispatch_uid="experiments-artifact-file")

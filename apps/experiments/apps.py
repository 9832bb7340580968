from django.apps import AppConfig


class ExperimentsConfig(AppConfig):
    name = "apps.experiments"
    label = "experiments"
    verbose_name = "Experiments"

    def ready(self) -> None:
        from apps.core.assets import register_asset
        from apps.experiments.models import Experiment, LoggedModel, Run

        register_asset(Experiment, label="Experiment", icon="flask", section="experiments")
        register_asset(Run, label="Run", icon="player-play", section="experiments")
        register_asset(LoggedModel, label="Logged model", icon="package", section="experiments")
        from apps.experiments import search_documents  # in the one search, with their owners' permissions

        search_documents.register()
        import apps.experiments.training.jobs  # noqa: F401 - registers experiments.train and experiments.reproduce

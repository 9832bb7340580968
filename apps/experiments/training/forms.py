"""The "Train a model" form: a training spec built from form fields, errors mapped back onto them.

Fields that depend on the data or the estimator are built per request: the target and feature
choices come from the dataset version's schema, and one `param__<name>` field (plus one
`search__<name>` field listing the values a search tries) per hyper-parameter of the chosen
estimator. The spec itself is validated by `services.training_spec_prepare`, so the form and
the API refuse exactly the same things with the same messages.
"""

from __future__ import annotations

from typing import Any

from django import forms

from apps.catalog.models import DatasetVersion
from apps.experiments.training.estimators import ESTIMATORS, Estimator, Param, choice_label, estimator_choices
from apps.experiments.training.spec import (
    DEFAULT_FOLDS,
    DEFAULT_SEARCH_FOLDS,
    DEFAULT_TEST_SIZE,
    FOLDS_RANGE,
    GRID,
    HOLDOUT,
    KFOLD,
    RANDOM,
    TEST_SIZE_RANGE,
    SpecInvalid,
    max_candidates,
    max_rows_limit,
)

NEW_EXPERIMENT = "new"
DEFAULT_ESTIMATOR = "random_forest"


def param_field(param: Param, *, initial: Any = None) -> forms.Field:
    """A form field for one hyper-parameter; the value is validated by the allow-list, not here."""
    value = param.default if initial is None else initial
    help_text = param.help + (" " if param.help else "") + f"Allowed: {param.describe_range()}."
    if param.kind == "bool":
        return forms.ChoiceField(
            label=param.label,
            choices=[("true", "yes"), ("false", "no")],
            initial="true" if value else "false",
            help_text=help_text,
        )
    if param.kind == "choice":
        return forms.ChoiceField(
            label=param.label,
            choices=[
                ("" if choice is None else str(choice), choice_label(choice)) for choice in param.choices
            ],
            initial="" if value is None else str(value),
            required=False,
            help_text=help_text,
        )
    attrs = {"inputmode": "numeric" if param.kind == "int" else "decimal"}
    if param.nullable:
        attrs["placeholder"] = param.null_label or "none"
    return forms.CharField(
        label=param.label,
        initial="" if value is None else f"{value:g}" if isinstance(value, float) else str(value),
        required=not param.nullable,
        help_text=help_text,
        widget=forms.TextInput(attrs=attrs),
    )


def estimator_params(estimator: Estimator, task: str) -> list[Param]:
    """The hyper-parameters shown for `task` ("auto": those of every task the estimator does)."""
    tasks = estimator.tasks if task not in estimator.tasks else (task,)
    seen: dict[str, Param] = {}
    for candidate in tasks:
        for param in estimator.params_for(candidate):
            seen.setdefault(param.name, param)
    return list(seen.values())


def add_param_fields(form: forms.Form, params: list[Param]) -> None:
    """One value field and one "values to try" field per hyper-parameter."""
    for param in params:
        form.fields[f"param__{param.name}"] = param_field(param)
        form.fields[f"search__{param.name}"] = forms.CharField(
            label=f"{param.label}: values to try",
            required=False,
            help_text="Comma-separated"
            + (", or a range like 0.01..1 for a random search" if param.kind in ("int", "float") else ""),
        )


def param_rows(form: forms.Form, params: list[Param]) -> list[tuple[forms.BoundField, forms.BoundField]]:
    """Each hyper-parameter's value field with its search field, for the template."""
    return [(form[f"param__{param.name}"], form[f"search__{param.name}"]) for param in params]


class ParamsForm(forms.Form):
    """The hyper-parameter fields alone, for the htmx swap when the estimator changes."""

    def __init__(self, *args, estimator: Estimator, task: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.params = estimator_params(estimator, task)
        add_param_fields(self, self.params)

    def param_rows(self):
        return param_rows(self, self.params)


class TrainingForm(forms.Form):
    """What to train, how to validate it, and where to record the run."""

    target = forms.ChoiceField(label="Target column", help_text="The value the model learns to predict.")
    features = forms.MultipleChoiceField(
        label="Feature columns",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="The columns the model learns from; none ticked means every other column.",
    )
    task = forms.ChoiceField(
        label="Task",
        choices=[
            ("auto", "Infer from the target"),
            ("classification", "Classification"),
            ("regression", "Regression"),
        ],
        initial="auto",
        help_text="Text, yes/no and few whole-number values are classes; other numbers are regression.",
    )
    estimator = forms.ChoiceField(label="Estimator", choices=estimator_choices(), initial=DEFAULT_ESTIMATOR)
    search_method = forms.ChoiceField(
        label="Hyper-parameter search",
        choices=[("", "No search: use the values above"), (GRID, "Grid search"), (RANDOM, "Random search")],
        required=False,
        help_text=f"Tries the values listed per hyper-parameter, at most {max_candidates()} candidates, "
        "each scored by cross-validation on the training rows.",
    )
    # Bounds are the spec's to check (one set of messages for the form and the API).
    search_n_iter = forms.IntegerField(label="Random candidates", initial=10, required=False)
    search_folds = forms.IntegerField(label="Search folds", initial=DEFAULT_SEARCH_FOLDS, required=False)
    validation_method = forms.ChoiceField(
        label="Validation",
        choices=[(HOLDOUT, "Hold out a share of the rows"), (KFOLD, "k-fold cross-validation")],
        initial=HOLDOUT,
    )
    test_size = forms.FloatField(
        label="Held-out share",
        initial=DEFAULT_TEST_SIZE,
        required=False,
        help_text=f"0.2 keeps 20% of the rows aside to measure the model "
        f"({TEST_SIZE_RANGE[0]} to {TEST_SIZE_RANGE[1]}).",
    )
    folds = forms.IntegerField(
        label="Folds",
        min_value=FOLDS_RANGE[0],
        max_value=FOLDS_RANGE[1],
        initial=DEFAULT_FOLDS,
        required=False,
    )
    seed = forms.IntegerField(
        label="Seed",
        required=False,
        help_text="Makes the split, the folds and the model repeatable; empty draws one and records it.",
    )
    max_rows = forms.IntegerField(
        label="Rows to read at most",
        initial=max_rows_limit(),
        help_text="Training reads the version's first rows up to this limit.",
    )
    experiment = forms.ChoiceField(label="Record the run in")
    new_experiment_name = forms.CharField(label="New experiment's name", max_length=500, required=False)
    new_experiment_team = forms.ChoiceField(label="Owned by", required=False)
    run_name = forms.CharField(
        label="Run name", max_length=200, required=False, help_text="Empty gives a generated name."
    )

    def __init__(self, *args, version: DatasetVersion, experiments, teams, **kwargs):
        super().__init__(*args, **kwargs)
        self.version = version
        columns = [column["name"] for column in version.schema or [] if isinstance(column, dict)]
        types = {
            column["name"]: column.get("type", "")
            for column in version.schema or []
            if isinstance(column, dict)
        }
        self.column_types = types
        self.fields["target"].choices = [("", "Choose the column to predict")] + [
            (name, name) for name in columns
        ]
        self.fields["features"].choices = [(name, name) for name in columns]
        self.fields["experiment"].choices = [
            (str(e.pk), f"{e.name} ({e.team.name})") for e in experiments
        ] + ([(NEW_EXPERIMENT, "A new experiment…")] if teams else [])
        if not experiments and teams:
            self.fields["experiment"].initial = NEW_EXPERIMENT
        self.fields["new_experiment_team"].choices = [(str(team.pk), team.name) for team in teams]
        self.teams = {str(team.pk): team for team in teams}
        estimator_key = self.data.get("estimator") or self.initial.get("estimator") or DEFAULT_ESTIMATOR
        self.chosen_estimator = ESTIMATORS.get(estimator_key, ESTIMATORS[DEFAULT_ESTIMATOR])
        task = self.data.get("task") or "auto"
        self.params = estimator_params(self.chosen_estimator, task)
        add_param_fields(self, self.params)

    def param_rows(self):
        return param_rows(self, self.params)

    def feature_rows(self) -> list[dict[str, Any]]:
        """Feature checkboxes with their column types."""
        chosen = set(self["features"].value() or [])
        return [
            {"name": name, "type": self.column_types.get(name, ""), "checked": name in chosen}
            for name, _label in self.fields["features"].choices
        ]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("experiment") == NEW_EXPERIMENT:
            if not (cleaned.get("new_experiment_name") or "").strip():
                self.add_error("new_experiment_name", "Give the new experiment a name.")
            if cleaned.get("new_experiment_team") not in self.teams:
                self.add_error("new_experiment_team", "Choose a team where you may create experiments.")
        return cleaned

    def spec_data(self, *, experiment_id: int | None) -> dict[str, Any]:
        """The training spec as the services take it (raw values: the allow-list types them)."""
        data = self.cleaned_data
        params: dict[str, Any] = {}
        space: dict[str, Any] = {}
        for param in self.params:
            raw = self.data.get(f"param__{param.name}", "")
            if param.kind == "choice" and raw == "":
                params[param.name] = None
            elif raw != "" or param.nullable:
                params[param.name] = raw
            values = (self.data.get(f"search__{param.name}") or "").strip()
            if values:
                if ".." in values:
                    low, _sep, high = values.partition("..")
                    space[param.name] = {"min": low.strip(), "max": high.strip()}
                else:
                    space[param.name] = [part.strip() for part in values.split(",")]
        # A hyper-parameter the search varies is not also a fixed value.
        params = {name: value for name, value in params.items() if name not in space}
        search = None
        if data.get("search_method"):
            search = {
                "method": data["search_method"],
                "space": space,
                "folds": data.get("search_folds") or DEFAULT_SEARCH_FOLDS,
            }
            if data["search_method"] == RANDOM:
                search["n_iter"] = data.get("search_n_iter") or 10
        if data.get("validation_method") == KFOLD:
            folds = data.get("folds")
            validation = {"method": KFOLD, "folds": DEFAULT_FOLDS if folds is None else folds}
        else:
            test_size = data.get("test_size")
            validation = {
                "method": HOLDOUT,
                "test_size": DEFAULT_TEST_SIZE if test_size is None else test_size,
            }
        return {
            "dataset_version": self.version.pk,
            "experiment": experiment_id,
            "target": data.get("target"),
            "features": data.get("features") or [],
            "task": data.get("task") or "auto",
            "estimator": data.get("estimator"),
            "params": params,
            "search": search,
            "validation": validation,
            "seed": data.get("seed"),
            "max_rows": data.get("max_rows") or max_rows_limit(),
            "run_name": data.get("run_name") or "",
        }

    def add_spec_errors(self, error: SpecInvalid) -> None:
        """Put each spec error on the field it concerns (nested params/search errors on their fields)."""
        for field, messages in error.errors.items():
            if field == "params" and isinstance(messages, dict):
                for name, texts in messages.items():
                    self._error_on(f"param__{name}", texts, prefix=f"{name}: ")
            elif field == "search" and isinstance(messages, dict):
                for name, texts in messages.items():
                    if name == "space" and isinstance(texts, dict):
                        for param, inner in texts.items():
                            self._error_on(f"search__{param}", inner, prefix=f"{param}: ")
                    else:
                        target = {
                            "method": "search_method",
                            "n_iter": "search_n_iter",
                            "folds": "search_folds",
                        }.get(name)
                        self._error_on(target or "search_method", texts)
            elif field == "validation" and isinstance(messages, dict):
                for name, texts in messages.items():
                    self._error_on(
                        {"test_size": "test_size", "folds": "folds"}.get(name, "validation_method"), texts
                    )
            elif field == "dataset_version":
                self._error_on(None, messages)
            else:
                self._error_on(field if field in self.fields else None, messages)

    def _error_on(self, field: str | None, messages: Any, *, prefix: str = "") -> None:
        texts = messages if isinstance(messages, list) else [messages]
        if field is not None and field not in self.fields:
            texts = [f"{prefix}{text}" for text in texts]
            field = None
        for text in texts:
            self.add_error(field, str(text))

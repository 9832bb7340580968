"""The artifact service: one path gate, streaming storage with limits, the index, listing, deleting."""

from __future__ import annotations

import hashlib
import io
import os

import pytest
from django.core.files.storage import default_storage
from django.db import transaction

from apps.core.history import acting_user
from apps.experiments.models import Artifact, Experiment, LoggedModel, Run
from apps.experiments.services.artifacts import (
    ArtifactConflict,
    ArtifactIncomplete,
    ArtifactNotFound,
    ArtifactPathError,
    ArtifactTooLarge,
    artifact_delete,
    artifact_list,
    artifact_open,
    artifact_path_clean,
    artifact_root,
    artifact_store,
    artifact_store_bytes,
    logged_model_artifact_location,
    run_artifact_uri,
)

HOSTILE_PATHS = [
    ("..", "parent segment"),
    ("../secrets.txt", "leading parent"),
    ("plots/../../escape.txt", "parent in the middle"),
    ("plots/..", "trailing parent"),
    ("./model.pkl", "current-folder segment"),
    ("...", "all-dots segment"),
    ("/etc/passwd", "absolute"),
    ("//evil.example/share/file", "network path"),
    ("plots\\..\\..\\escape.txt", "backslash traversal"),
    ("C:\\Windows\\win.ini", "drive with backslashes"),
    ("C:/Windows/win.ini", "drive letter"),
    ("file:/etc/passwd", "file URI"),
    ("file:///etc/passwd", "file URI with authority"),
    ("s3://bucket/key", "another scheme"),
    ("mlflow-artifacts:/1/run/artifacts/x", "mlflow-artifacts URI"),
    ("%2e%2e/escape.txt", "encoded parent"),
    ("%2E%2E%2Fescape.txt", "encoded parent and slash"),
    ("..%2fescape.txt", "encoded slash after parent"),
    ("%252e%252e/escape.txt", "double-encoded parent"),
    ("%25252e%25252e/escape.txt", "triple-encoded parent"),
    ("plots%5c..%5cescape.txt", "encoded backslash"),
    ("%2fetc/passwd", "encoded absolute"),
    ("model.pkl\x00.txt", "NUL byte"),
    ("model%00.txt", "encoded NUL"),
    ("plots/\nfake-log-line", "newline"),
    ("report\x1b[31m.txt", "escape sequence"),
    ("notes\u202etxt.exe", "right-to-left override"),
    ("plots/chart.png?download=1", "query string"),
    ("plots/chart.png#fragment", "fragment"),
    ("plots/chart.png%3fx=1", "encoded question mark"),
    ("plots//chart.png", "empty segment"),
    ("plots/", "trailing slash"),
    ("", "empty"),
    ("\uff0e\uff0e/escape.txt", "full-width dots (NFKC '..')"),
    ("a" * 1001, "overlong path"),
    ("plots/" + "b" * 256, "overlong segment"),
    ("%c3%28", "encoded bytes that are not UTF-8"),
]

SAFE_PATHS = [
    "model.skops",
    "plots/confusion matrix.png",
    "metrics/2024-01-01T00:00:00.json",
    "données/résumé.txt",
    "100%.txt",
    "a..b/c...d.txt",
    ".hidden/config.yaml",
    "deep/" * 20 + "leaf.txt",
]


@pytest.mark.parametrize(("path", "why"), HOSTILE_PATHS, ids=[why for _, why in HOSTILE_PATHS])
def test_it_refuses_a_hostile_path(path, why):
    with pytest.raises(ArtifactPathError):
        artifact_path_clean(path)


@pytest.mark.parametrize("path", SAFE_PATHS)
def test_it_accepts_an_ordinary_path_unchanged(path):
    assert artifact_path_clean(path) == path


def test_the_hostile_table_is_large_enough():
    assert len(HOSTILE_PATHS) >= 25


def test_the_root_is_accepted_only_when_asked_for():
    assert artifact_path_clean("", allow_root=True) == ""
    with pytest.raises(ArtifactPathError):
        artifact_path_clean("")


def test_a_path_must_be_a_string():
    with pytest.raises(ArtifactPathError):
        artifact_path_clean(["a"])  # type: ignore[arg-type]


# --- storage -----------------------------------------------------------------------------------
@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


@pytest.fixture
def experiment(fraud_team, alice):
    with acting_user(alice):
        return Experiment.objects.create(team=fraud_team, name="Chargebacks", created_by=alice)


@pytest.fixture
def run(experiment, alice):
    with acting_user(alice):
        return Run.objects.create(experiment=experiment, user=alice, name="baseline")


@pytest.fixture
def logged_model(experiment, run, alice):
    with acting_user(alice):
        return LoggedModel.objects.create(experiment=experiment, name="model", source_run=run, user=alice)


def _read(run, path):
    _, handle = artifact_open(run=run, path=path)
    with handle:
        return handle.read()


def test_it_stores_a_file_under_the_runs_root_with_its_size_and_checksum(media, run, alice):
    content = b"hello artifacts\n" * 1000
    artifact = artifact_store(run=run, path="notes/hello.txt", stream=io.BytesIO(content), by=alice)
    assert artifact.size == len(content)
    assert artifact.sha256 == hashlib.sha256(content).hexdigest()
    assert artifact.experiment_id == run.experiment_id
    expected_name = f"experiments/{run.experiment_id}/runs/{run.uuid}/artifacts/notes/hello.txt"
    assert artifact.storage_name == expected_name
    assert (media / expected_name).read_bytes() == content
    assert _read(run, "notes/hello.txt") == content
    assert artifact.history.first().history_user == alice


def test_a_logged_models_files_live_under_the_models_root(media, logged_model, alice):
    artifact = artifact_store_bytes(
        logged_model=logged_model, path="MLmodel", content=b"flavors: {}\n", by=alice
    )
    root = f"experiments/{logged_model.experiment_id}/models/{logged_model.model_id}/artifacts"
    assert artifact.storage_name == f"{root}/MLmodel"
    assert artifact_root(logged_model=logged_model) == root
    assert logged_model_artifact_location(logged_model).endswith(f"/models/{logged_model.model_id}/artifacts")


def test_the_run_artifact_uri_names_the_proxy(run):
    assert run_artifact_uri(run) == f"mlflow-artifacts:/{run.experiment_id}/{run.uuid}/artifacts"


def test_storing_the_same_path_again_replaces_the_file_and_its_row(media, run, alice):
    artifact_store_bytes(run=run, path="model.json", content=b'{"v": 1}', by=alice)
    again = artifact_store_bytes(run=run, path="model.json", content=b'{"v": 2, "longer": true}', by=alice)
    assert Artifact.objects.filter(run=run).count() == 1
    assert _read(run, "model.json") == b'{"v": 2, "longer": true}'
    assert again.sha256 == hashlib.sha256(b'{"v": 2, "longer": true}').hexdigest()
    assert not os.listdir(media / "experiments" / ".incoming")  # no temporary file left over


def test_an_oversized_file_is_refused_and_nothing_is_kept(media, settings, run, alice):
    settings.EXPERIMENTS_ARTIFACT_MAX_BYTES = 1000
    with pytest.raises(ArtifactTooLarge, match="EXPERIMENTS_ARTIFACT_MAX_BYTES"):
        artifact_store(run=run, path="big.bin", stream=io.BytesIO(b"x" * 5000), by=alice)
    assert not Artifact.objects.filter(run=run).exists()
    assert not os.listdir(media / "experiments" / ".incoming")
    assert not (media / artifact_root(run=run) / "big.bin").exists()


def test_an_oversized_file_is_refused_from_its_announced_size_before_reading(settings, run, alice):
    settings.EXPERIMENTS_ARTIFACT_MAX_BYTES = 1000

    class Unreadable(io.RawIOBase):
        def read(self, size=-1):
            raise AssertionError("the body must not be read")

    with pytest.raises(ArtifactTooLarge):
        artifact_store(run=run, path="big.bin", stream=Unreadable(), by=alice, size=5000)


def test_a_stream_that_ends_before_its_announced_size_stores_nothing(media, run, alice):
    with pytest.raises(ArtifactIncomplete, match="5 of the 10 bytes"):
        artifact_store(run=run, path="cut.bin", stream=io.BytesIO(b"12345"), by=alice, size=10)
    assert not Artifact.objects.filter(run=run).exists()
    assert not os.listdir(media / "experiments" / ".incoming")


def test_an_oversized_replacement_keeps_the_previous_file(media, settings, run, alice):
    artifact_store_bytes(run=run, path="model.bin", content=b"small", by=alice)
    settings.EXPERIMENTS_ARTIFACT_MAX_BYTES = 10
    with pytest.raises(ArtifactTooLarge):
        artifact_store(run=run, path="model.bin", stream=io.BytesIO(b"y" * 100), by=alice)
    assert _read(run, "model.bin") == b"small"


def test_the_owner_total_is_limited_too(media, settings, run, alice):
    settings.EXPERIMENTS_ARTIFACT_ROOT_MAX_BYTES = 100
    artifact_store_bytes(run=run, path="a.bin", content=b"a" * 60, by=alice)
    artifact_store_bytes(run=run, path="a.bin", content=b"a" * 90, by=alice)  # a replacement counts once
    with pytest.raises(ArtifactTooLarge, match="EXPERIMENTS_ARTIFACT_ROOT_MAX_BYTES"):
        artifact_store_bytes(run=run, path="b.bin", content=b"b" * 20, by=alice)
    assert list(Artifact.objects.filter(run=run).values_list("path", flat=True)) == ["a.bin"]


def test_a_path_cannot_be_a_file_and_a_folder(media, run, alice):
    artifact_store_bytes(run=run, path="plots", content=b"file", by=alice)
    with pytest.raises(ArtifactConflict):
        artifact_store_bytes(run=run, path="plots/chart.png", content=b"png", by=alice)
    artifact_store_bytes(run=run, path="data/train.csv", content=b"a,b", by=alice)
    with pytest.raises(ArtifactConflict):
        artifact_store_bytes(run=run, path="data", content=b"file", by=alice)


def test_a_symlink_out_of_the_root_is_refused(media, run, alice, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("top secret")
    root = media / artifact_root(run=run)
    root.mkdir(parents=True)
    os.symlink(outside, root / "linked")
    with pytest.raises(ArtifactPathError, match="outside"):
        artifact_store_bytes(run=run, path="linked/planted.txt", content=b"x", by=alice)
    assert not (outside / "planted.txt").exists()
    # An index row pointing through the link (planted behind the portal's back) is not served either.
    with acting_user(alice):
        Artifact.objects.create(
            experiment_id=run.experiment_id,
            run=run,
            path="linked/secret.txt",
            storage_name=f"{artifact_root(run=run)}/linked/secret.txt",
            size=10,
        )
    with pytest.raises(ArtifactPathError):
        artifact_open(run=run, path="linked/secret.txt")


def test_a_missing_file_is_not_found(media, run):
    with pytest.raises(ArtifactNotFound):
        artifact_open(run=run, path="nothing.txt")


def test_listing_shows_direct_children_with_inferred_folders(media, run, alice):
    for path in ["model/MLmodel", "model/data/model.skops", "plots/roc.png", "summary.json"]:
        artifact_store_bytes(run=run, path=path, content=path.encode(), by=alice)
    root = artifact_list(run=run)
    assert [(entry.path, entry.is_dir, entry.file_size) for entry in root] == [
        ("model", True, None),
        ("plots", True, None),
        ("summary.json", False, len(b"summary.json")),
    ]
    assert [(entry.path, entry.is_dir) for entry in artifact_list(run=run, path="model")] == [
        ("model/MLmodel", False),
        ("model/data", True),
    ]
    assert artifact_list(run=run, path="summary.json") == []
    assert artifact_list(run=run, path="absent") == []
    with pytest.raises(ArtifactPathError):
        artifact_list(run=run, path="../other-run")


def test_listing_does_not_mix_owners(media, run, logged_model, alice):
    artifact_store_bytes(run=run, path="run.txt", content=b"r", by=alice)
    artifact_store_bytes(logged_model=logged_model, path="model.txt", content=b"m", by=alice)
    assert [entry.path for entry in artifact_list(run=run)] == ["run.txt"]
    assert [entry.path for entry in artifact_list(logged_model=logged_model)] == ["model.txt"]


@pytest.mark.django_db(transaction=True)
def test_deleting_a_folder_removes_its_files_and_rows(media, run, alice):
    for path in ["plots/a.png", "plots/b.png", "plots2/c.png", "keep.txt"]:
        artifact_store_bytes(run=run, path=path, content=b"x", by=alice)
    assert artifact_delete(run=run, path="plots", by=alice) == 2
    assert sorted(Artifact.objects.filter(run=run).values_list("path", flat=True)) == [
        "keep.txt",
        "plots2/c.png",
    ]
    root = media / artifact_root(run=run)
    assert not (root / "plots" / "a.png").exists()
    assert (root / "plots2" / "c.png").exists()
    assert artifact_delete(run=run, path="nothing-here", by=alice) == 0
    assert artifact_delete(run=run, by=alice) == 2
    assert not Artifact.objects.filter(run=run).exists()
    assert not (root / "keep.txt").exists()


@pytest.mark.django_db(transaction=True)
def test_a_hard_deleted_run_takes_its_files_and_leaves_the_others(
    media, experiment, run, logged_model, alice
):
    """A run deleted for good (an officer in the admin, a cascade) leaves no file behind in storage;
    its logged model's files and another run's stay, as do their rows."""
    with acting_user(alice):
        other = Run.objects.create(experiment=experiment, user=alice, name="other")
    gone = [
        artifact_store_bytes(run=run, path=path, content=b"x", by=alice) for path in ["a.txt", "plots/b.png"]
    ]
    kept = artifact_store_bytes(run=other, path="a.txt", content=b"y", by=alice)
    model_file = artifact_store_bytes(logged_model=logged_model, path="MLmodel", content=b"m", by=alice)
    logged_model.source_run = None
    logged_model.save()
    with acting_user(alice):
        run.delete()
    assert not any(default_storage.exists(artifact.storage_name) for artifact in gone)
    assert default_storage.exists(kept.storage_name) and default_storage.exists(model_file.storage_name)
    assert Artifact.objects.filter(pk__in=[kept.pk, model_file.pk]).count() == 2
    assert Artifact.history.filter(id=gone[0].pk, history_type="-").get().history_user == alice


@pytest.mark.django_db(transaction=True)
def test_a_hard_deleted_experiment_takes_its_runs_and_models_files(
    media, experiment, run, logged_model, alice
):
    files = [
        artifact_store_bytes(run=run, path="a.txt", content=b"x", by=alice),
        artifact_store_bytes(logged_model=logged_model, path="MLmodel", content=b"m", by=alice),
    ]
    with acting_user(alice):
        experiment.delete()
    assert not any(default_storage.exists(artifact.storage_name) for artifact in files)
    assert not Artifact.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_deletion_that_rolls_back_keeps_the_files(media, run, alice):
    artifact = artifact_store_bytes(run=run, path="a.txt", content=b"x", by=alice)
    with pytest.raises(RuntimeError), transaction.atomic(), acting_user(alice):
        Run.objects.get(pk=run.pk).delete()
        raise RuntimeError("the deletion fails after the rows went")
    assert default_storage.exists(artifact.storage_name)
    assert _read(run, "a.txt") == b"x"


def test_deleting_refuses_a_hostile_path(media, run, alice):
    artifact_store_bytes(run=run, path="keep.txt", content=b"x", by=alice)
    with pytest.raises(ArtifactPathError):
        artifact_delete(run=run, path="../", by=alice)
    assert Artifact.objects.filter(run=run).count() == 1


def test_storage_is_djangos_default_storage(media, run, alice):
    artifact = artifact_store_bytes(run=run, path="x.txt", content=b"x", by=alice)
    assert default_storage.exists(artifact.storage_name)


@pytest.fixture
def object_storage(settings):
    """A storage that is not the filesystem (no rename, no local paths), as S3 is."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }
    return default_storage


@pytest.mark.django_db(transaction=True)
def test_on_object_storage_a_replacement_is_a_copy_and_nothing_is_left_behind(
    object_storage, settings, run, alice
):
    first = artifact_store_bytes(run=run, path="model/weights.bin", content=b"v1", by=alice)
    second = artifact_store_bytes(run=run, path="model/weights.bin", content=b"version 2", by=alice)
    assert first.pk == second.pk
    assert _read(run, "model/weights.bin") == b"version 2"
    stored = object_storage.listdir(f"{artifact_root(run=run)}/model")[1]
    assert stored == ["weights.bin"]
    assert object_storage.listdir("experiments/.incoming")[1] == []
    settings.EXPERIMENTS_ARTIFACT_MAX_BYTES = 32
    with pytest.raises(ArtifactTooLarge):
        artifact_store(run=run, path="big.bin", stream=io.BytesIO(b"x" * 64), by=alice)
    assert object_storage.listdir("experiments/.incoming")[1] == []
    assert not object_storage.exists(f"{artifact_root(run=run)}/big.bin")
    assert artifact_delete(run=run, path="model", by=alice) == 1
    assert object_storage.listdir(f"{artifact_root(run=run)}/model")[1] == []

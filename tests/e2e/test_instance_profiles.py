"""The instance profiles validate against Dagster's schemas (fast: no server is started).

- the repo's dagster.yaml (what `make ui` / the e2e stack use);
- deploy/dagster-postgres.yaml with its env vars set;
- deploy/dagster-k8s.yaml, including the K8sRunLauncher config against dagster-k8s's schema;
- deploy/k8s_executor.py builds a job whose executor is the configured k8s_job_executor.
"""

import importlib.util
import shutil
from pathlib import Path

import dagster as dg
import pytest
import yaml
from dagster._config import process_config
from dagster._core.instance.config import dagster_instance_config
from dagster._core.storage.config import pg_config

REPO = Path(__file__).resolve().parents[2]
PG_ENV = {
    "DAGSTER_PG_HOST": "db",
    "DAGSTER_PG_PORT": "6543",
    "DAGSTER_PG_DB": "dagster",
    "DAGSTER_PG_USERNAME": "dagster",
    "DAGSTER_PG_PASSWORD": "secret",
}


def _load_profile(path: Path, tmp_path: Path) -> dict:
    shutil.copy(path, tmp_path / "dagster.yaml")
    config, custom_class = dagster_instance_config(str(tmp_path))
    assert custom_class is None
    return dict(config)


def test_repo_dagster_yaml_is_a_valid_instance_config(tmp_path):
    config = _load_profile(REPO / "dagster.yaml", tmp_path)
    runs = config["concurrency"]["runs"]
    assert runs["max_concurrent_runs"] >= 1
    assert any(t["key"] == "alpha/stage" and t["value"] == "training" for t in runs["tag_concurrency_limits"])


@pytest.mark.parametrize("profile", ["dagster-postgres.yaml", "dagster-k8s.yaml"])
def test_deploy_profiles_use_postgres_from_env(profile, tmp_path, monkeypatch):
    for k, v in PG_ENV.items():
        monkeypatch.setenv(k, v)
    config = _load_profile(REPO / "deploy" / profile, tmp_path)
    # Env references are resolved when the storage is built: resolve them with its schema.
    resolved = process_config(pg_config(), config["storage"]["postgres"])
    assert resolved.success, [e.message for e in resolved.errors]
    pg = resolved.value["postgres_db"]
    assert (pg["hostname"], pg["port"], pg["db_name"]) == ("db", 6543, "dagster")
    assert pg["scheme"] == "postgresql+psycopg2"
    assert config["telemetry"]["enabled"] is False


def test_k8s_run_launcher_config_matches_dagster_k8s_schema(tmp_path, monkeypatch):
    from dagster_k8s import K8sRunLauncher

    for k, v in {**PG_ENV, "ALPHA_IMAGE": "registry/alpha-gnn:1", "ALPHA_K8S_NAMESPACE": "alpha"}.items():
        monkeypatch.setenv(k, v)
    raw = yaml.safe_load((REPO / "deploy" / "dagster-k8s.yaml").read_text())
    assert (raw["run_launcher"]["module"], raw["run_launcher"]["class"]) == ("dagster_k8s", "K8sRunLauncher")
    result = process_config(K8sRunLauncher.config_type(), raw["run_launcher"]["config"])
    assert result.success, [e.message for e in result.errors]
    assert result.value["job_image"] == "registry/alpha-gnn:1"
    assert result.value["job_namespace"] == "alpha"
    # A typo must not pass: the schema is strict.
    bad = {**raw["run_launcher"]["config"], "job_imag": "x"}
    assert not process_config(K8sRunLauncher.config_type(), bad).success


def test_k8s_fold_executor_snippet_builds_a_training_job(monkeypatch):
    monkeypatch.setenv("ALPHA_K8S_NAMESPACE", "alpha")
    spec = importlib.util.spec_from_file_location("alpha_deploy_k8s_executor", REPO / "deploy" / "k8s_executor.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)

    folds = dg.StaticPartitionsDefinition(["2018-01-02", "2018-07-02"])

    @dg.asset(partitions_def=folds)
    def model_checkpoint() -> int:
        return 1

    defs = dg.Definitions(assets=[model_checkpoint], jobs=[module.fold_training_job()])
    job = defs.resolve_job_def("train_folds")
    assert job.executor_def.name == "fold_step_k8s_executor"
    assert job.tags["alpha/stage"] == "training"
    assert job.partitions_def == folds

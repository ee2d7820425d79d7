"""Kubernetes step executor for fold training: one pod per step (documented deployment snippet).

Not imported by the project (dagster-k8s is a deployment-only dependency). How folds map to pods:

- With ``deploy/dagster-k8s.yaml`` (K8sRunLauncher) every *run* is a pod. ``model_checkpoint``
  is partitioned fold x model without a single-run backfill policy, so a backfill of N folds is
  N runs = N pods, started as the run queue allows (``alpha/stage=training`` limit).
- ``k8s_job_executor`` additionally puts every *step* of a run in its own pod: the run pod only
  orchestrates, the training step gets the large pod below. Use it for the training job so
  data steps and training steps can ask for different resources.

Wiring (in alpha_dagster, when deploying to Kubernetes)::

    from deploy.k8s_executor import fold_training_job
    defs = dg.Definitions(..., jobs=[fold_training_job()])

then backfill ``train_folds`` (or the asset) by partition from the UI.
"""

import dagster as dg
from dagster_k8s import k8s_job_executor

TRAINING_STEP_RESOURCES = {
    "requests": {"cpu": "4", "memory": "16Gi"},
    "limits": {"memory": "32Gi"},
}

fold_step_executor = k8s_job_executor.configured(
    {
        # At most this many step pods of one run at a time (a fold run has one training step).
        "max_concurrent": 4,
        "job_namespace": {"env": "ALPHA_K8S_NAMESPACE"},
        "env_config_maps": ["alpha-env"],
        "env_secrets": ["alpha-secrets"],
        "volumes": [{"name": "alpha-home", "persistentVolumeClaim": {"claimName": "alpha-home"}}],
        "volume_mounts": [{"name": "alpha-home", "mountPath": "/data"}],
        "labels": {"app.kubernetes.io/part-of": "alpha-gnn"},
        "step_k8s_config": {"container_config": {"resources": TRAINING_STEP_RESOURCES}},
    },
    name="fold_step_k8s_executor",
)


def fold_training_job(name: str = "train_folds", selection: str = "model_checkpoint"):
    """An asset job over ``selection`` whose steps each run in their own pod; tagged as training
    so the instance's ``alpha/stage=training`` run limit applies."""
    return dg.define_asset_job(
        name,
        selection=selection,
        executor_def=fold_step_executor,
        tags={"alpha/stage": "training"},
    )

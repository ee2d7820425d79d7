"""Where a torch model trains and scores: :class:`DevicePolicy` -> a ``torch.device``.

``AUTO`` takes the first CUDA device when torch sees one, else the CPU; ``CPU`` always the CPU;
``CUDA`` the first CUDA device, and an error naming the setting when there is none (a run
that asked for a GPU must not silently take hours on a CPU). On the CPU the trainer and
:func:`~alpha_core.training.trainer.predict` touch no tensor's placement at all, so CPU results
are exactly those of a build without devices. A checkpoint's weights are always stored on the
CPU and its metadata records the device it trained on (``extra.device``). XGBoost trains on the
CPU (the ``xgboost-cpu`` build).

On a GPU, scores agree with the CPU's to float tolerance, not to the byte: kernels reduce in
another order.
"""

from __future__ import annotations

from enum import StrEnum

import torch


class DevicePolicy(StrEnum):
    """``ALPHA_DEVICE`` / the ``device`` run-config option."""

    AUTO = "auto"
    CPU = "cpu"
    CUDA = "cuda"


class DeviceUnavailableError(RuntimeError):
    """The device asked for does not exist on this machine."""


def resolve_device(policy: DevicePolicy | str = DevicePolicy.AUTO) -> torch.device:
    """The ``torch.device`` of ``policy`` on this machine (see the module docstring)."""
    policy = DevicePolicy(policy)
    if policy is DevicePolicy.CPU:
        return torch.device("cpu")
    if torch.cuda.is_available():
        return torch.device("cuda", 0)
    if policy is DevicePolicy.CUDA:
        raise DeviceUnavailableError(
            "device CUDA was asked for (ALPHA_DEVICE=cuda or the run config's device) but torch sees no CUDA "
            "device on this machine; use AUTO or CPU"
        )
    return torch.device("cpu")

"""tf.distribute: two worker processes (MultiWorkerMirroredStrategy over localhost)
and two logical CPU devices (MirroredStrategy) train like one device.

Each run is a separate process (tests/distribute_worker.py): a strategy needs
a fresh TensorFlow runtime. Every process starts from the same initial
weights and trains 6 steps with a global batch of 16 on the same data.
"""

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

WORKER = Path(__file__).with_name("distribute_worker.py")
REPO = WORKER.parents[1]
sys.path.insert(0, str(WORKER.parent))
from distribute_worker import make_model, model_variables  # noqa: E402


def _free_port():
    with socket.socket() as s:
        s.bind(("localhost", 0))
        return s.getsockname()[1]


def _start(out, model, strategy, env_extra=None, checkpoint_dir=None):
    env = {k: v for k, v in os.environ.items() if k != "TF_CONFIG"}
    # The worker is a script in tests/, so its sys.path starts there: put this checkout
    # first, or the workers would import whichever tfgan_ad is installed, not the one
    # under test.
    path = [str(REPO)] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    env.update({"TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONPATH": os.pathsep.join(path),
                **(env_extra or {})})
    args = [sys.executable, str(WORKER), str(out), model, strategy]
    if checkpoint_dir:
        args.append(str(checkpoint_dir))
    return subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)


def _finish(proc, timeout=600):
    out, _ = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, out[-3000:]


def _replicas(npz):
    """{replica: {path: array}}"""
    out = {}
    for key in npz.files:
        r, path = key.split("/", 1)
        out.setdefault(int(r[1:]), {})[path] = npz[key]
    return out


def test_two_workers_match_one_device(tmp_path):
    ports = [_free_port(), _free_port()]
    cluster = {"worker": [f"localhost:{p}" for p in ports]}
    ckpt = tmp_path / "ckpt"
    procs = [_start(tmp_path / f"w{i}.npz", "bigan", "multiworker",
                    {"TF_CONFIG": json.dumps({"cluster": cluster,
                                              "task": {"type": "worker", "index": i}})},
                    checkpoint_dir=ckpt)
             for i in range(2)]
    procs.append(_start(tmp_path / "single.npz", "bigan", "none"))
    for p in procs:
        _finish(p)
    w0 = _replicas(np.load(tmp_path / "w0.npz"))[0]
    w1 = _replicas(np.load(tmp_path / "w1.npz"))[0]
    single = _replicas(np.load(tmp_path / "single.npz"))[0]
    assert set(w0) == set(w1) == set(single)
    assert int(w0["step"]) == int(w1["step"]) == int(single["step"]) == 6
    # the two workers hold identical weights, optimizer slots and EMA shadows
    for path in w0:
        np.testing.assert_array_equal(w0[path], w1[path], err_msg=path)
    # and match one device with the same global batch, up to summation order: the
    # differences are tiny next to how far training moved the weights
    _assert_matches(w0, single)
    # only the chief wrote checkpoints, to the given directory, and it restores
    assert (ckpt / "checkpoint").exists()
    _assert_checkpoint_holds(ckpt, w0)


def _assert_matches(run, reference, rtol=1e-3):
    init = _initial_weights()
    moved, worst = 0.0, 0.0
    for path, ref in reference.items():
        worst = max(worst, float(np.max(np.abs(run[path] - ref))))
        if path in init:
            moved = max(moved, float(np.max(np.abs(ref - init[path]))))
    assert moved > 1e-3, "training did not move the weights"
    assert worst <= rtol * moved, (worst, moved)


def _reference(seed, checkpoint_dir=None):
    """(BiGAN trainer, {path: variable}) built in this process like the workers' BiGAN."""
    import tensorflow as tf

    from tfgan_ad.training.trainer import Trainer, TrainConfig

    tf.keras.utils.set_random_seed(seed)
    model, _ = make_model("bigan")
    trainer = Trainer(model, TrainConfig(batch_size=16, progress=False,
                                         checkpoint_dir=checkpoint_dir))
    return trainer, model_variables(trainer)


def _initial_weights():
    """Encoder/generator/discriminator weights of the reference BiGAN before training."""
    _, variables = _reference(0)  # seed 0: the workers' initial weights
    return {p: np.asarray(v) for p, v in variables.items()
            if p.startswith(("encoder/", "generator/", "discriminator/"))}


def _assert_checkpoint_holds(ckpt, expected):
    trainer, _ = _reference(123, str(ckpt))  # other initial weights: restore must overwrite
    assert trainer.restore()
    for path, v in model_variables(trainer).items():
        np.testing.assert_array_equal(np.asarray(v), expected[path], err_msg=path)


@pytest.mark.parametrize("model", ["gan", "wgan_gp", "wgan_clip"])
def test_mirrored_two_devices(tmp_path, model):
    mirrored = _start(tmp_path / "m.npz", model, "mirrored")
    single = _start(tmp_path / "s.npz", model, "none")
    _finish(mirrored)
    _finish(single)
    replicas = _replicas(np.load(tmp_path / "m.npz"))
    one = _replicas(np.load(tmp_path / "s.npz"))[0]
    assert sorted(replicas) == [0, 1]
    for path in one:
        assert np.all(np.isfinite(replicas[0][path])), path
        np.testing.assert_array_equal(replicas[0][path], replicas[1][path], err_msg=path)
    assert int(replicas[0]["step"]) == 6
    if model == "gan":  # no BatchNorm: the same as one device up to summation order
        worst = max(float(np.max(np.abs(replicas[0][p] - one[p]))) for p in one)
        assert worst < 1e-5, worst
    else:
        # the DCGAN generator's BatchNorm normalises each replica's 8 rows by their own
        # statistics (documented in Trainer): close to one device, not equal
        diff = max(float(np.max(np.abs(replicas[0][p] - one[p])))
                   for p in one if p.startswith("generator/"))
        assert 0 < diff < 5e-3, diff
    if model == "wgan_clip":  # every replica's critic stays within the clip
        for r in replicas.values():
            critic = [v for p, v in r.items() if p.startswith("critic/")]
            assert critic and max(np.abs(v).max() for v in critic) == np.float32(0.01)

"""The one training loop shared by every GAN of tfgan_ad.

Eager outside, traced inside: epochs, shuffling, checkpoints, TensorBoard and
the progress bar stay in Python; ``steps_per_call`` training steps run inside
one ``tf.function`` (a ``tf.while_loop``), since per-call overhead dominates
for the small KDD99 networks.

What differs between BiGAN, GAN and WGAN-GP lives in the model object (see
:class:`GANModel`): its networks, optimizers and one ``train_step``. A step
may consume several independent mini-batches (``batches_per_step``): the
BiGAN's D update and G/E update draw from two independent shuffles as in the
EGBAD code; a WGAN-GP step draws one batch per critic update.

Distribution: build the model and the trainer inside ``strategy.scope()``
(``tf.distribute.MirroredStrategy``, ``MultiWorkerMirroredStrategy``, ...); the
trainer picks the strategy up from the scope. ``TrainConfig.batch_size`` is
the *global* batch: each of the R replicas in sync takes its own
``batch_size / R`` rows of every mini-batch, gradients are summed over
replicas by the optimizer (the step scales each replica's loss by 1/R), and
latent samples and dropout masks are drawn for the global batch and sliced,
so R replicas reproduce a one-device run with the same global batch up to
floating-point summation order (tested with two worker processes). Every
worker of a multi-worker run needs the same training array. The step counter
and the EMA shadows are mirrored and updated once per step. Only the chief
worker (task 0) writes checkpoints and summaries to the given directories;
the other workers write theirs to a per-worker temporary directory, removed
at the end of ``fit``. BatchNorm (MNIST and DCGAN generators) normalises by each
replica's own batch statistics, not synchronised ones; the DCGAN generator's
moving averages take the mean of the replicas' updates.

Randomness is explicit. The data order of epoch ``e`` comes from
``numpy.random.default_rng([seed, e])`` and every random op of step ``t``
(latent samples, dropout masks) from stateless ops seeded with
``(seed, t)``. The state of a run is therefore just (weights, optimizer
slots, EMA shadows, step counter), all in the checkpoint, and a run resumed
from any checkpoint repeats exactly what the uninterrupted run would do.

That holds only for the same run, so the checkpoint directory also keeps a run
record (:data:`RUN_RECORD`): the model's class and config, the seed, the batch
size and a SHA-256 of the training array. Resuming with any of them changed is
refused, naming what differs (more epochs, another ``steps_per_call`` or XLA
are the same run and are allowed).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import os
import shutil
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import keras
import numpy as np
import tensorflow as tf

from tfgan_ad.errors import user_stacklevel
from tfgan_ad.training.ema import EMA
from tfgan_ad.validate import whole_number


#: the name of the step counter in a :class:`Trainer` checkpoint
_STEP = "step"
#: the file in a checkpoint directory naming the run its checkpoints belong to
RUN_RECORD = "run.json"


class GANModel(Protocol):
    """What the trainer needs from a GAN (BiGAN, GAN, WGAN-GP)."""

    batches_per_step: int
    loss_names: tuple
    ema: EMA

    def train_step(self, batches, seed) -> dict:
        """One update of every network on ``batches`` (a tuple of
        ``batches_per_step`` tensors); ``seed`` is a stateless seed (shape [2]).
        Returns scalar losses by name. Must call ``self.ema.update()``."""

    def checkpoint_items(self) -> dict:
        """Trackables to save: networks, optimizers, EMA."""


@dataclass
class TrainConfig:
    """How to run the loop (what to train is the model's config).

    Args:
        epochs: passes over the training data; an epoch is ``N // batch_size`` steps
            (the last partial batch is dropped, as in the reference code).
        batch_size: rows per mini-batch: the global batch under a distribution
            strategy, divided evenly among the replicas.
        seed: the run's seed (data order, latent samples, dropout masks).
        steps_per_call: training steps per ``tf.function`` call.
        checkpoint_dir: where to save/restore (``None``: no checkpoints).
        checkpoint_every: save every this many epochs (and always at the end).
        log_dir: TensorBoard directory (``None``: no summaries).
        progress: show a progress bar.
        jit_compile: compile the step with XLA.
    """

    epochs: int = 50
    batch_size: int = 50
    seed: int = 0
    steps_per_call: int = 100
    checkpoint_dir: str | None = None
    checkpoint_every: int = 1
    log_dir: str | None = None
    progress: bool = True
    jit_compile: bool = False

    def __post_init__(self):
        # whole numbers >= 1: epochs=0 would "fit" an untrained model and set a threshold
        for name in ("epochs", "batch_size", "steps_per_call", "checkpoint_every"):
            whole_number(name, getattr(self, name), 1)

    def total_steps(self, n_train: int) -> int:
        """Steps of the whole run on ``n_train`` rows: ``epochs`` of ``N // batch_size`` each."""
        return self.epochs * (n_train // self.batch_size)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


class Trainer:
    """Runs ``config.epochs`` epochs of ``model.train_step`` over ``x``.

    Example:
        >>> gan = BiGAN(BiGANConfig())
        >>> history = Trainer(gan, TrainConfig(epochs=50, seed=0)).fit(x_train)
    """

    def __init__(self, model: GANModel, config: TrainConfig):
        self.model = model
        self.config = config
        #: the strategy whose scope the trainer was built in (the default one if none)
        self.strategy = tf.distribute.get_strategy()
        replicas = self.strategy.num_replicas_in_sync
        if config.batch_size % replicas:
            raise ValueError(f"batch_size={config.batch_size} is the global batch and must "
                             f"divide evenly among {replicas} replicas")
        with self.strategy.scope():
            self.step = tf.Variable(0, dtype=tf.int64, trainable=False, name="step",
                                    aggregation=tf.VariableAggregation.ONLY_FIRST_REPLICA)
        self.checkpoint = tf.train.Checkpoint(**{_STEP: self.step}, **model.checkpoint_items())
        self.is_chief, self._scratch = _worker_role(self.strategy)
        self.manager = None
        if config.checkpoint_dir:
            self.manager = tf.train.CheckpointManager(
                self.checkpoint, self._writable(config.checkpoint_dir), max_to_keep=3)
        self._run = tf.function(self._run_steps, jit_compile=config.jit_compile,
                                reduce_retracing=True)
        self.history: list[dict] = []
        #: steady-state training speed of the last ``fit`` (its first call, which
        #: traces the step, is left out), or None when too few calls to tell
        self.steps_per_second: float | None = None

    @property
    def global_step(self) -> int:
        """Training steps taken so far (the value of ``step``; mirrored under a strategy)."""
        return int(self.step.read_value())

    def _writable(self, directory: str) -> str:
        """``directory`` on the chief; a scratch directory on other workers."""
        if self.is_chief:
            return directory
        return os.path.join(self._scratch, os.path.basename(os.path.normpath(directory)))

    def restore(self) -> bool:
        """Restore the latest checkpoint, if any; True when one was restored.

        Every worker reads the chief's ``checkpoint_dir`` (a shared file system
        under multi-worker training), so all of them resume from the same state.
        """
        if not self.config.checkpoint_dir:
            return False
        latest = latest_checkpoint(self.config.checkpoint_dir)
        if latest is None:
            return False
        try:
            self.checkpoint.restore(latest).assert_existing_objects_matched()
        except (tf.errors.OpError, IndexError) as err:  # truncated or garbled files
            raise ValueError(f"checkpoint {latest} cannot be read ({type(err).__name__}: "
                             f"{str(err).splitlines()[0] if str(err) else ''}); it is left as "
                             f"it is: repair or remove it, or train in another "
                             f"checkpoint_dir") from None
        return True

    def _replica_step(self, x, idx, seed):
        """One train step on this replica's rows of the global batches ``idx`` [bps, batch]."""
        ctx = tf.distribute.get_replica_context()
        local = self.config.batch_size // ctx.num_replicas_in_sync
        start = tf.cast(ctx.replica_id_in_sync_group, tf.int32) * local
        batches = tuple(tf.gather(x, idx[j, start:start + local])
                        for j in range(self.model.batches_per_step))
        losses = self.model.train_step(batches, seed)
        return {n: tf.cast(losses[n], tf.float32) for n in self.model.loss_names}

    def _run_steps(self, x, idx):
        """``idx``: int32 [k, batches_per_step, batch]; returns mean losses over k steps."""
        k = tf.shape(idx)[0]
        seed0 = tf.constant(self.config.seed, tf.int64)
        totals = {n: tf.zeros([], tf.float32) for n in self.model.loss_names}
        mean = tf.distribute.ReduceOp.MEAN
        for i in tf.range(k):
            seed = tf.stack([seed0, self.step])
            losses = self.strategy.run(self._replica_step, args=(x, idx[i], seed))
            self.step.assign_add(1)
            totals = {n: totals[n] + self.strategy.reduce(mean, losses[n], axis=None)
                      for n in totals}
        return {n: t / tf.cast(k, tf.float32) for n, t in totals.items()}

    def _epoch_indices(self, n: int, epoch: int) -> np.ndarray:
        b, bps = self.config.batch_size, self.model.batches_per_step
        steps = n // b
        rng = np.random.default_rng([self.config.seed, epoch])
        perms = [rng.permutation(n)[: steps * b].reshape(steps, b) for _ in range(bps)]
        return np.stack(perms, axis=1).astype(np.int32)  # [steps, bps, b]

    def fit(self, x, until_step: int | None = None) -> list[dict]:
        """Train on ``x`` (float array, N × features), resuming from a checkpoint.

        Args:
            until_step: stop after this global step (for tests and benchmarks; a
                checkpoint is written there so a later ``fit`` continues).

        Returns:
            per-epoch mean losses (for the epochs run by this call).
        """
        x = np.asarray(x)
        if x.ndim < 2 or len(x) == 0:
            raise ValueError(f"training data must be a non-empty batch of rows, got shape {x.shape}")
        if not np.issubdtype(x.dtype, np.floating):
            raise TypeError(f"training data must be floating point, got dtype {x.dtype}")
        if not np.all(np.isfinite(x)):
            raise ValueError("training data contains NaN or infinite values")
        if hasattr(self.model, "config"):
            self.model.config.check_range(x, "training data")
        cfg = self.config
        n = len(x)
        steps_per_epoch = n // cfg.batch_size
        if steps_per_epoch == 0:
            raise ValueError(f"need at least batch_size={cfg.batch_size} rows, got {n}")
        # the record (a SHA-256 of x among others) only matters beside checkpoints
        record = self.run_record(x) if cfg.checkpoint_dir else None
        if record is not None:
            check_run_record(cfg.checkpoint_dir, record)
        self.restore()
        total = cfg.total_steps(n)
        if self.global_step > total:
            # a longer run's checkpoint: using it as this shorter run would mislabel the model
            raise ValueError(
                f"the checkpoint in {cfg.checkpoint_dir} is at step {self.global_step}, past the "
                f"{total} steps asked for ({cfg.epochs} epochs of {steps_per_epoch}); a shorter "
                f"run cannot be recovered from it: point checkpoint_dir at that run's own "
                f"checkpoints, or ask for at least {self.global_step} steps")
        if until_step is not None:
            total = min(total, until_step)
        if record is not None and self.manager is not None and self.is_chief:
            write_run_record(cfg.checkpoint_dir, record)
        x_t = tf.convert_to_tensor(x, tf.float32)
        writer = (tf.summary.create_file_writer(self._writable(cfg.log_dir))
                  if cfg.log_dir else None)
        t_train, steps_run, traced = 0.0, 0, False
        while self.global_step < total:
            start = self.global_step
            epoch, offset = divmod(start, steps_per_epoch)
            idx = self._epoch_indices(n, epoch)
            end = min(steps_per_epoch, total - epoch * steps_per_epoch)
            bar = keras.utils.Progbar(steps_per_epoch, stateful_metrics=None,
                                      verbose=1 if cfg.progress else 0)
            if cfg.progress:
                print(f"epoch {epoch + 1}/{cfg.epochs}")
                bar.update(offset)
            sums, count = {}, 0
            for lo in range(offset, end, cfg.steps_per_call):
                hi = min(lo + cfg.steps_per_call, end)
                t0 = time.perf_counter()
                try:
                    losses = self._run(x_t, tf.constant(idx[lo:hi]))
                except KeyboardInterrupt:
                    # the chunk either finished or did not start its last step; the
                    # step counter says which, so saving now loses nothing
                    if self.manager is not None:
                        self.manager.save(checkpoint_number=self.global_step)
                    raise
                losses = {k: float(v) for k, v in losses.items()}
                if traced:  # the first call of a fit includes tracing: not timed
                    t_train += time.perf_counter() - t0
                    steps_run += hi - lo
                traced = True
                for k, v in losses.items():
                    if not math.isfinite(v):
                        raise FloatingPointError(
                            f"{k} became {v} at step {self.global_step}; last checkpoint kept in "
                            f"{cfg.checkpoint_dir}")
                    sums[k] = sums.get(k, 0.0) + v * (hi - lo)
                count += hi - lo
                if writer is not None:
                    with writer.as_default(step=self.global_step):
                        for k, v in losses.items():
                            tf.summary.scalar(k, v)
                bar.update(hi, values=list(losses.items()))
            epoch_done = hi == steps_per_epoch
            means = {k: v / max(count, 1) for k, v in sums.items()}
            if epoch_done:
                self.history.append({"epoch": epoch + 1, **means})
            if self.manager is not None and (
                    not epoch_done or (epoch + 1) % cfg.checkpoint_every == 0
                    or self.global_step >= total):
                self.manager.save(checkpoint_number=self.global_step)
        if writer is not None:
            writer.flush()
        if self._scratch is not None:
            shutil.rmtree(self._scratch, ignore_errors=True)
        self.steps_per_second = steps_run / t_train if t_train > 0 else None
        return self.history


    def run_record(self, x) -> dict:
        """What identifies this run: the model's class and config, the seed, the batch
        size, and the training array's shape and SHA-256 (of its float32 values, what
        the steps read)."""
        x32 = np.ascontiguousarray(x, dtype=np.float32)
        config = getattr(self.model, "config", None)
        record = {
            "model": type(self.model).__name__,
            "model_config": config.to_dict() if config is not None else None,
            "seed": self.config.seed,
            "batch_size": self.config.batch_size,
            "data": {"shape": list(x32.shape),
                     "sha256": hashlib.sha256(memoryview(x32).cast("B")).hexdigest()},
        }
        if config is not None and dataclasses.is_dataclass(config):
            # a field a saved record lacks (one added to the config since) matches
            # its default, so older checkpoints stay resumable
            defaults = {f.name: f.default for f in dataclasses.fields(config)
                        if f.default is not dataclasses.MISSING}
            record["_defaults"] = _flat({"model_config": defaults})
        return json.loads(json.dumps(record, default=_plain))  # numpy scalars as numbers


def _plain(value):
    """JSON for numpy scalars (a seed given as np.int64) and tuples; else a TypeError."""
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"run record: {type(value).__name__} {value!r} is not JSON data")


def _flat(record: dict, prefix: str = "") -> dict:
    out = {}
    for key, value in record.items():
        if isinstance(value, dict):
            out.update(_flat(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def check_run_record(directory, record: dict) -> None:
    """Refuse (ValueError) to resume the checkpoints in ``directory`` as the run
    ``record`` describes if their own run record says they belong to another run.
    A directory without a record (checkpoints older than records) passes, and so does
    a record with no checkpoint beside it (a run that failed before its first save,
    or whose checkpoints were removed to start over): it is rewritten."""
    path = Path(directory) / RUN_RECORD
    if not path.exists() or latest_checkpoint(directory) is None:
        return
    try:
        saved = json.loads(path.read_text())
        if not isinstance(saved, dict):
            raise ValueError("not a JSON object")
    except (ValueError, UnicodeDecodeError, OSError) as err:  # OSError: a directory, unreadable
        raise ValueError(f"the run record {path} cannot be read ({err}); it is left as it is: "
                         f"repair or remove it, or train in another checkpoint_dir") from None
    record = dict(record)
    defaults = record.pop("_defaults", {})
    old, new = _flat(saved), _flat(record)
    for key, value in defaults.items():  # fields added since the record was written
        if key not in old and new.get(key) == value:
            old[key] = value
    differ = [k for k in sorted(set(old) | set(new)) if old.get(k) != new.get(k)]
    if differ:
        shown = "; ".join(
            f"{k}: {_short(old.get(k, '(absent)'))} there, {_short(new.get(k, '(absent)'))} now"
            for k in differ)
        raise ValueError(
            f"the checkpoints in {directory} belong to another run ({shown}); resuming them "
            f"would train a mix of the two, so they are left as they are: train in another "
            f"checkpoint_dir, or remove {RUN_RECORD} there to accept them as this run")


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 24 else text[:12] + "…"


def write_run_record(directory, record: dict) -> None:
    """Write ``record`` as ``directory``'s run record (atomically) unless it holds one
    and checkpoints: a record without checkpoints is replaced."""
    path = Path(directory) / RUN_RECORD
    checkpoint = latest_checkpoint(directory)
    if path.exists() and checkpoint is not None:
        return
    if checkpoint is not None:  # checkpoints older than run records: stamped by this run
        warnings.warn(f"{directory} holds checkpoints without a run record ({RUN_RECORD}); "
                      f"recording this run's model, seed and data as theirs, so a later run "
                      f"with other data or settings will be refused", UserWarning,
                      stacklevel=user_stacklevel())
    record = {k: v for k, v in record.items() if k != "_defaults"}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{RUN_RECORD}.{os.getpid()}.tmp")
    try:
        tmp.write_text(json.dumps(record, indent=1, sort_keys=True) + "\n")
        os.replace(tmp, path)
    except OSError as err:  # e.g. run.json is a directory, or the directory is read-only
        tmp.unlink(missing_ok=True)
        raise ValueError(f"the run record {path} cannot be written ({err}); nothing was "
                         f"trained: repair or remove it, or train in another "
                         f"checkpoint_dir") from None


def _index_order(name: str):
    """Sort key of checkpoint index files: by their step number (``ckpt-60`` < ``ckpt-100``)."""
    stem = name[:-len(".index")]
    number = stem.rsplit("-", 1)[-1]
    return (0, int(number), stem) if number.isdigit() else (1, 0, stem)


def latest_checkpoint(directory) -> str | None:
    """The checkpoint ``directory``'s state file points at, or None if it holds none.

    Refuses (ValueError) a directory that holds checkpoint files when the state file
    is missing or points at a checkpoint that is not there: training would otherwise
    start again from step 0 and overwrite them.
    """
    latest = tf.train.latest_checkpoint(directory)
    if latest is not None:
        return latest
    found = sorted((p.name for p in Path(directory).glob("*.index")), key=_index_order) \
        if os.path.isdir(directory) else []
    if found:
        state = Path(directory) / "checkpoint"
        why = "points at a checkpoint that is not there" if state.exists() else "is missing"
        raise ValueError(
            f"{directory} holds checkpoints ({', '.join(found[:5])}) but its state file "
            f"'checkpoint' {why}; refusing to start from step 0 over them: write a state file "
            f"naming one (model_checkpoint_path: \"{found[-1][:-len('.index')]}\") or use "
            f"another checkpoint_dir")
    return None


def checkpoint_step(directory) -> int | None:
    """The training step of the latest :class:`Trainer` checkpoint in ``directory`` (read
    without building any network), or None if there is none."""
    latest = latest_checkpoint(directory)
    if latest is None:
        return None
    return int(tf.train.load_variable(latest, f"{_STEP}/.ATTRIBUTES/VARIABLE_VALUE"))


def _worker_role(strategy) -> tuple[bool, str | None]:
    """(is this the chief worker, scratch directory for a non-chief's files)."""
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or not resolver.cluster_spec().as_dict():
        return True, None
    task_type, task_id = resolver.task_type, resolver.task_id
    if task_type in (None, "chief") or (task_type == "worker" and task_id == 0
                                        and "chief" not in resolver.cluster_spec().jobs):
        return True, None
    return False, tempfile.mkdtemp(prefix=f"tfgan_ad_{task_type}{task_id}_")

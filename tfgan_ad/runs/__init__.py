"""Experiment and benchmark code behind the scripts in experiments/ and benchmarks/."""


#: the scripts' names for ``ADGANSearchConfig.share_theta``: each seed adapts its own θ_j (the
#: paper's search) or a test point's seeds share one θ
THETA_SHARING = {"per_seed": False, "shared": True}


def flag_choices(flag: str, names, known) -> list[str]:
    """``names`` (a list flag's values) as a list; ValueError naming ``flag`` and the
    ``known`` values if the list is empty or has a name not among them."""
    if not names or any(n not in known for n in names):
        raise ValueError(f"{flag} must name one or more of {sorted(known)}, got {list(names)}")
    return list(names)


def share_theta_values(names) -> list[bool]:
    """``share_theta`` for each of ``names`` (a ``--theta`` flag's list); ValueError naming the
    known values if the list is empty or has another name."""
    return [THETA_SHARING[n] for n in flag_choices("--theta", names, THETA_SHARING)]


def set_threads(n: int) -> None:
    """Limit TensorFlow to ``n`` threads (0 = TensorFlow's default); call before any op."""
    if n:
        import tensorflow as tf
        tf.config.threading.set_intra_op_parallelism_threads(n)
        tf.config.threading.set_inter_op_parallelism_threads(n)


def require_checkpoint(det, hint: str, n_train: int | None = None) -> None:
    """Raise FileNotFoundError unless ``det``'s network has a checkpoint to restore, so that a
    script meant to *use* a trained network never starts training one; ``hint`` says how to
    train it. Given ``n_train`` (the training rows ``fit`` will get), the checkpoint must also
    be the finished run: one short of ``det``'s length would make ``fit`` train on from it in
    that directory (pruning the older checkpoints there) instead of only restoring it."""
    from tfgan_ad.training.trainer import checkpoint_step, latest_checkpoint
    cfg = det.train_config
    if latest_checkpoint(cfg.checkpoint_dir) is None:
        raise FileNotFoundError(f"no checkpoint in {cfg.checkpoint_dir}: {hint}")
    if n_train is None:
        return
    step, total = checkpoint_step(cfg.checkpoint_dir), cfg.total_steps(n_train)
    if step < total:
        raise FileNotFoundError(
            f"the checkpoint in {cfg.checkpoint_dir} is at step {step}, short of the {total} "
            f"steps asked for (unfinished, or a shorter run's); not training on from it here "
            f"(to keep a shorter run, train the longer one from a copy of its directory under "
            f"another work directory): {hint}")


def restore_trained(det, x_train, hint: str):
    """``det`` with its trained network restored from its checkpoints (never trained here:
    :func:`require_checkpoint` first, with ``len(x_train)``, so the checkpoint must be the
    finished run; ``hint`` says how to train it). ``fit`` restores; the threshold it sets from
    a training sample is not used by the scripts, so one row is scored."""
    det.threshold_sample = 1
    require_checkpoint(det, hint, n_train=len(x_train))
    det.fit(x_train)
    return det

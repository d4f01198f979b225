import numpy as np
import pytest
import tensorflow as tf

from tfgan_ad.training.bigan import BiGAN, BiGANConfig
from tfgan_ad.training.trainer import Trainer, TrainConfig

SMALL = BiGANConfig(n_features=6, latent_dim=3, learning_rate=1e-3)


def data(n=200, seed=0):
    return np.random.default_rng(seed).normal(size=(n, 6)).astype(np.float32)


def weights(gan):
    nets = (gan.encoder, gan.generator, gan.discriminator)
    return [w.numpy() for n in nets for w in n.weights] + [s.numpy() for s in gan.ema.shadows]


def fresh(ckpt=None, epochs=2, steps_per_call=4):
    tf.keras.utils.set_random_seed(7)  # same initial weights every time
    gan = BiGAN(SMALL)
    cfg = TrainConfig(epochs=epochs, batch_size=20, seed=5, steps_per_call=steps_per_call,
                      checkpoint_dir=ckpt, progress=False)
    return gan, Trainer(gan, cfg)


def test_resume_equals_uninterrupted(tmp_path):
    gan_a, tr_a = fresh()
    tr_a.fit(data())  # 2 epochs x 10 steps, uninterrupted
    assert int(tr_a.step) == 20
    # interrupted mid-epoch at step 7, then resumed by new objects from the checkpoint
    gan_b, tr_b = fresh(str(tmp_path))
    tr_b.fit(data(), until_step=7)
    assert int(tr_b.step) == 7
    gan_c, tr_c = fresh(str(tmp_path), steps_per_call=3)  # another chunking, same steps
    tr_c.fit(data())
    assert int(tr_c.step) == 20
    for a, c in zip(weights(gan_a), weights(gan_c)):
        np.testing.assert_allclose(a, c, rtol=1e-6, atol=1e-7)
    # and training did move the weights
    gan_0, _ = fresh()
    assert not all(np.allclose(a, b) for a, b in zip(weights(gan_0), weights(gan_a)))


def test_resume_after_completion_trains_nothing_more(tmp_path):
    gan, tr = fresh(str(tmp_path), epochs=1)
    tr.fit(data())
    before = weights(gan)
    gan2, tr2 = fresh(str(tmp_path), epochs=1)
    tr2.fit(data())
    assert int(tr2.step) == 10
    for a, b in zip(before, weights(gan2)):
        np.testing.assert_array_equal(a, b)


def test_a_checkpoint_past_the_asked_length_is_refused_not_used(tmp_path):
    gan, tr = fresh(str(tmp_path), epochs=2)
    tr.fit(data())
    files = sorted(p.name for p in tmp_path.iterdir())
    gan2, tr2 = fresh(str(tmp_path), epochs=1)
    with pytest.raises(ValueError, match=r"step 20, past the 10 steps asked for"):
        tr2.fit(data())
    assert sorted(p.name for p in tmp_path.iterdir()) == files  # nothing written or removed


def _snapshot(directory):
    return {p.name: p.read_bytes() for p in directory.iterdir()}


@pytest.mark.parametrize("damage", ["state file removed", "state file stale"])
def test_checkpoints_without_a_valid_state_file_are_refused_not_overwritten(tmp_path, damage):
    """Losing the 'checkpoint' state file must not make training restart from step 0
    over the checkpoints (it would overwrite ckpt-<n> with new weights)."""
    _, tr = fresh(str(tmp_path), epochs=1)
    tr.fit(data())
    state = tmp_path / "checkpoint"
    if damage == "state file removed":
        state.unlink()
    else:
        state.write_text('model_checkpoint_path: "ckpt-999"\n')
    before = _snapshot(tmp_path)
    _, tr2 = fresh(str(tmp_path), epochs=2)
    with pytest.raises(ValueError, match=r"holds checkpoints \(ckpt-10.index\) but its state "
                                         r"file 'checkpoint' (is missing|points at)"):
        tr2.fit(data())
    assert _snapshot(tmp_path) == before


def test_an_unreadable_checkpoint_is_named_and_left_alone(tmp_path):
    _, tr = fresh(str(tmp_path), epochs=1)
    tr.fit(data())
    (shard,) = tmp_path.glob("ckpt-10.data-*")
    shard.write_bytes(shard.read_bytes()[:50])  # truncated
    before = _snapshot(tmp_path)
    _, tr2 = fresh(str(tmp_path), epochs=2)
    with pytest.raises(ValueError, match=r"checkpoint .*ckpt-10 cannot be read"):
        tr2.fit(data())
    assert _snapshot(tmp_path) == before


def test_history_tensorboard_and_finite_losses(tmp_path):
    gan, tr = fresh()
    tr.config.log_dir = str(tmp_path / "tb")
    hist = tr.fit(data())
    assert [h["epoch"] for h in hist] == [1, 2]
    assert all(np.isfinite(h[k]) for h in hist for k in ("loss_d", "loss_g", "loss_e"))
    assert list((tmp_path / "tb").glob("events.out.tfevents.*"))


def test_bad_training_data():
    _, tr = fresh()
    with pytest.raises(ValueError, match="NaN"):
        x = data()
        x[3, 1] = np.nan
        tr.fit(x)
    with pytest.raises(ValueError, match="at least batch_size"):
        tr.fit(data(5))
    with pytest.raises(ValueError, match="non-empty"):
        tr.fit(np.zeros((0, 6), np.float32))
    with pytest.raises(TypeError, match="floating"):
        tr.fit(np.zeros((100, 6), np.int32))


def test_xla_training_is_reproducible_and_resumable(tmp_path):
    """TrainConfig(jit_compile=True). XLA draws its own stateless random numbers
    (its Philox differs from TensorFlow's kernels), so an XLA run is compared with
    XLA runs: resumed from a mid-epoch checkpoint, it repeats the uninterrupted run."""
    def xla(ckpt=None, steps_per_call=4):
        tf.keras.utils.set_random_seed(7)
        gan = BiGAN(SMALL)
        return gan, Trainer(gan, TrainConfig(epochs=2, batch_size=20, seed=5,
                                             steps_per_call=steps_per_call, progress=False,
                                             checkpoint_dir=ckpt, jit_compile=True))

    gan_a, tr_a = xla()
    hist = tr_a.fit(data())
    assert tr_a.global_step == 20 and all(np.isfinite(v) for v in hist[-1].values())
    _, tr_b = xla(str(tmp_path))
    tr_b.fit(data(), until_step=7)
    gan_c, tr_c = xla(str(tmp_path), steps_per_call=3)
    tr_c.fit(data())
    for a, c in zip(weights(gan_a), weights(gan_c)):
        np.testing.assert_allclose(c, a, rtol=1e-5, atol=1e-6)
    gan_0, _ = fresh()
    assert not all(np.allclose(a, b) for a, b in zip(weights(gan_0), weights(gan_a)))


def test_trainer_picks_up_the_strategy_of_its_scope():
    cpu = tf.config.list_logical_devices("CPU")[0].name
    strategy = tf.distribute.MirroredStrategy([cpu])  # one replica: any batch is fine
    with strategy.scope():
        gan = BiGAN(SMALL)
        tr = Trainer(gan, TrainConfig(epochs=1, batch_size=20, progress=False))
    assert tr.strategy is strategy
    tr.fit(data())
    assert tr.global_step == 10


def test_batch_not_divisible_by_replicas_is_refused(monkeypatch):
    class TwoReplicas:  # the trainer only asks a strategy for these
        num_replicas_in_sync = 2

    gan = BiGAN(SMALL)
    monkeypatch.setattr(tf.distribute, "get_strategy", lambda: TwoReplicas())
    with pytest.raises(ValueError, match="batch_size=25 is the global batch"):
        Trainer(gan, TrainConfig(batch_size=25, progress=False))


@pytest.mark.parametrize("change", ["data", "seed", "batch_size", "learning_rate"])
def test_resuming_another_runs_checkpoints_is_refused_and_they_are_kept(tmp_path, change):
    """Checkpoints of one run must not be trained on as another (other data, seed,
    batch or model config): the result would be a mix labelled as neither."""
    _, tr = fresh(str(tmp_path), epochs=1)
    tr.fit(data())
    before = _snapshot(tmp_path)
    assert "run.json" in before
    x = data(seed=1) if change == "data" else data()
    tf.keras.utils.set_random_seed(7)
    model_cfg = (BiGANConfig(n_features=6, latent_dim=3, learning_rate=2e-3)
                 if change == "learning_rate" else SMALL)
    cfg = TrainConfig(epochs=2, batch_size=25 if change == "batch_size" else 20,
                      seed=6 if change == "seed" else 5, steps_per_call=4,
                      checkpoint_dir=str(tmp_path), progress=False)
    key = {"data": "data.sha256", "seed": "seed", "batch_size": "batch_size",
           "learning_rate": "model_config.learning_rate"}[change]
    with pytest.raises(ValueError, match=rf"belong to another run \(.*{key}: .* there, .* now"):
        Trainer(BiGAN(model_cfg), cfg).fit(x)
    assert _snapshot(tmp_path) == before


def test_the_same_run_resumes_with_more_epochs_and_other_chunking(tmp_path):
    _, tr = fresh(str(tmp_path), epochs=1)
    tr.fit(data())
    record = (tmp_path / "run.json").read_text()
    _, tr2 = fresh(str(tmp_path), epochs=2, steps_per_call=3)
    tr2.fit(data().astype(np.float64))  # the same float32 values
    assert int(tr2.step) == 20
    assert (tmp_path / "run.json").read_text() == record


def test_checkpoints_without_a_run_record_resume_and_get_one(tmp_path):
    """Checkpoints written before run records existed are accepted as this run."""
    _, tr = fresh(str(tmp_path), epochs=1)
    tr.fit(data())
    (tmp_path / "run.json").unlink()
    _, tr2 = fresh(str(tmp_path), epochs=2)
    with pytest.warns(UserWarning, match="checkpoints without a run record"):
        tr2.fit(data())
    assert int(tr2.step) == 20 and (tmp_path / "run.json").exists()


def test_a_garbled_run_record_is_named_and_left_alone(tmp_path):
    _, tr = fresh(str(tmp_path), epochs=1)
    tr.fit(data())
    (tmp_path / "run.json").write_text("{not json")
    before = _snapshot(tmp_path)
    _, tr2 = fresh(str(tmp_path), epochs=2)
    with pytest.raises(ValueError, match=r"run record .*run.json cannot be read"):
        tr2.fit(data())
    assert _snapshot(tmp_path) == before


def test_an_unreadable_run_record_path_is_named_and_left_alone(tmp_path):
    """run.json that is a directory (or unreadable) gets the named error, not a raw OSError."""
    _, tr = fresh(str(tmp_path), epochs=1)
    tr.fit(data())
    (tmp_path / "run.json").unlink()
    (tmp_path / "run.json").mkdir()
    files = lambda: {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()}
    before = files()
    _, tr2 = fresh(str(tmp_path), epochs=2)
    with pytest.raises(ValueError, match=r"run record .*run.json cannot be read"):
        tr2.fit(data())
    assert files() == before and (tmp_path / "run.json").is_dir()


def test_an_unwritable_run_record_is_named_before_training(tmp_path):
    """run.json a directory and no checkpoints yet: a named error, no temporary file left."""
    (tmp_path / "run.json").mkdir()
    _, tr = fresh(str(tmp_path), epochs=1)
    with pytest.raises(ValueError, match=r"run record .*run.json cannot be written"):
        tr.fit(data())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.json"]
    assert int(tr.step) == 0


def test_a_record_without_checkpoints_does_not_block_a_new_run(tmp_path):
    """A run that failed before its first save (or whose checkpoints were removed to
    start over) leaves only run.json: another run may use the directory."""
    _, tr = fresh(str(tmp_path), epochs=1)
    tr.fit(data())
    for p in tmp_path.iterdir():
        if p.name != "run.json":
            p.unlink()
    tf.keras.utils.set_random_seed(7)
    cfg = TrainConfig(epochs=1, batch_size=25, seed=5, checkpoint_dir=str(tmp_path),
                      progress=False)
    Trainer(BiGAN(SMALL), cfg).fit(data())
    assert '"batch_size": 25' in (tmp_path / "run.json").read_text()


def test_a_config_field_added_since_the_record_matches_its_default(tmp_path):
    """Records written before a config field existed stay resumable while the field
    keeps its default; a non-default value is a different run."""
    import json
    _, tr = fresh(str(tmp_path), epochs=1)
    tr.fit(data())
    path = tmp_path / "run.json"
    saved = json.loads(path.read_text())
    del saved["model_config"]["spectral_norm"]  # as if written before the field existed
    path.write_text(json.dumps(saved))
    _, tr2 = fresh(str(tmp_path), epochs=2)
    tr2.fit(data())
    assert int(tr2.step) == 20
    del saved["model_config"]["precision"]
    path.write_text(json.dumps(saved))
    tf.keras.utils.set_random_seed(7)
    cfg = TrainConfig(epochs=3, batch_size=20, seed=5, checkpoint_dir=str(tmp_path),
                      progress=False)
    other = BiGANConfig(n_features=6, latent_dim=3, learning_rate=1e-3,
                        precision="mixed_bfloat16")
    with pytest.raises(ValueError, match=r"model_config.precision: '\(absent\)' there, "
                                         r"'mixed_bfloat16' now"):
        Trainer(BiGAN(other), cfg).fit(data())


def test_numpy_integers_in_the_config_are_recorded_as_numbers(tmp_path):
    tf.keras.utils.set_random_seed(7)
    cfg = TrainConfig(epochs=1, batch_size=np.int64(20), seed=np.int64(5),
                      checkpoint_dir=str(tmp_path), progress=False)
    Trainer(BiGAN(SMALL), cfg).fit(data())
    assert '"seed": 5' in (tmp_path / "run.json").read_text()

"""A training process for tests/test_distribute.py (run as a script, one per worker).

    python tests/distribute_worker.py OUT.npz MODEL STRATEGY [CHECKPOINT_DIR]

MODEL: bigan | gan | wgan_gp | wgan_clip; STRATEGY: none | mirrored (two logical CPU
devices) | multiworker (reads TF_CONFIG). Trains STEPS steps on a fixed
synthetic data set with a fixed global batch and writes, for every replica of
this process, every variable of the model (networks, optimizer slots, EMA
shadows) and the step counter to OUT.npz, keyed ``r{replica}/{path}``.
"""

import sys

import numpy as np
import tensorflow as tf

STEPS, GLOBAL_BATCH, ROWS = 6, 16, 96


def make_model(name):
    from tfgan_ad.training.bigan import BiGAN, BiGANConfig
    from tfgan_ad.training.gan import GAN, GANConfig
    from tfgan_ad.training.wgan_gp import WGANGP, WGANGPConfig

    if name == "bigan":
        return BiGAN(BiGANConfig(learning_rate=1e-3, ema_decay=0.9)), (ROWS, 121)
    if name == "gan":
        return GAN(GANConfig(learning_rate=1e-3, ema_decay=0.9)), (ROWS, 121)
    if name == "wgan_clip":  # Arjovsky et al.'s WGAN: RMSprop, no penalty, clipped critic
        return WGANGP(WGANGPConfig(n_critic=2, ema_decay=0.9, optimizer="rmsprop",
                                   learning_rate=5e-5, gp_weight=0.0, clip_value=0.01)), (
            ROWS, 28, 28, 1)
    return WGANGP(WGANGPConfig(n_critic=2, ema_decay=0.9)), (ROWS, 28, 28, 1)


def main(out, name, strategy_name, checkpoint_dir=None):
    if strategy_name == "mirrored":
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
        strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    elif strategy_name == "multiworker":
        strategy = tf.distribute.MultiWorkerMirroredStrategy()
    else:
        strategy = tf.distribute.get_strategy()
    from tfgan_ad.training.trainer import Trainer, TrainConfig

    tf.keras.utils.set_random_seed(0)  # same initial weights in every process
    with strategy.scope():
        model, shape = make_model(name)
        trainer = Trainer(model, TrainConfig(epochs=100, batch_size=GLOBAL_BATCH, seed=3,
                                             steps_per_call=4, progress=False,
                                             checkpoint_dir=checkpoint_dir))
    x = np.random.default_rng(1).uniform(-1, 1, shape).astype(np.float32)
    trainer.fit(x, until_step=STEPS)
    arrays = {}
    for path, v in model_variables(trainer).items():
        values = getattr(v, "values", None) or (v,)  # per-replica copies of a mirrored one
        for r, value in enumerate(values):
            arrays[f"r{r}/{path}"] = np.asarray(value)
    np.savez(out, **arrays)


def model_variables(trainer):
    """{path: backing tf.Variable} of everything the trainer checkpoints."""
    import keras

    from tfgan_ad.training.ema import EMA

    out = {"step": trainer.step}
    for key, item in trainer.model.checkpoint_items().items():
        if isinstance(item, EMA):
            out.update({f"{key}/shadow_{i}": s for i, s in enumerate(item.shadows)})
        else:
            weights = item.variables if isinstance(item, keras.optimizers.Optimizer) else item.weights
            out.update({f"{key}/{v.path}": v.value for v in weights})
    return out


if __name__ == "__main__":
    main(*sys.argv[1:])

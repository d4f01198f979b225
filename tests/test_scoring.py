import numpy as np
import pytest
import tensorflow as tf

from tfgan_ad.networks import kdd
from tfgan_ad.scoring.egbad import ScoreConfig, egbad_components, egbad_score
from test_networks_losses import lrelu, tiny_discriminator


def tiny_nets():
    e = kdd.Encoder(n_features=2, latent_dim=1, hidden=1)
    e.fc1.set_weights([np.array([[1.0], [1.0]]), np.array([0.0])])
    e.fc2.set_weights([np.array([[0.5]]), np.array([0.0])])
    g = kdd.Generator(n_features=2, latent_dim=1, hidden=(1,))
    g.fc[0].set_weights([np.array([[1.0]]), np.array([0.0])])
    g.out.set_weights([np.array([[1.0, -1.0]]), np.array([0.0, 1.0])])
    return e, g, tiny_discriminator()


def by_hand(x, alpha, variant, pair="paper"):
    z = 0.5 * lrelu(x.sum(1, keepdims=True))
    h = np.maximum(z, 0)
    rec = np.concatenate([h, -h + 1], axis=1)

    def d(xx, zz):
        hx = lrelu(xx @ np.array([[1.0], [2.0]]) + 0.5)
        hz = lrelu(-zz)
        f = lrelu(hx + hz)
        return 2 * f - 1, f

    l_enc, f_enc = d(x, z)
    l_rec, f_rec = d(rec, z)
    lg = np.abs(x - rec).sum(1)
    logit = (l_enc if pair == "paper" else l_rec)[:, 0]
    sigma = np.log1p(np.exp(-logit))  # BCE(logit, 1)
    fm = np.abs(f_enc - f_rec).sum(1)
    return alpha * lg + (1 - alpha) * (sigma if variant == "sigma" else fm)


@pytest.mark.parametrize("variant", ["sigma", "fm"])
@pytest.mark.parametrize("pair", ["paper", "official"])
def test_score_formula_hand_computed(variant, pair):
    x = np.array([[1.0, 2.0], [-1.0, 0.5], [0.0, 0.0]], np.float32)
    e, g, d = tiny_nets()
    cfg = ScoreConfig(variant=variant, alpha=0.9, sigma_pair=pair)
    got = egbad_score(e, g, d, x, cfg).numpy()
    np.testing.assert_allclose(got, by_hand(x, 0.9, variant, pair), rtol=1e-5)


def test_degree_2_and_alpha():
    x = np.array([[1.0, 2.0]], np.float32)
    e, g, d = tiny_nets()
    parts = egbad_components(e, g, d, x, degree=2)
    z = 0.5 * 3.0
    rec = np.array([z, 1 - z])
    assert parts["l_g"].numpy()[0] == pytest.approx(np.linalg.norm(x[0] - rec), rel=1e-6)
    only_rec = egbad_score(e, g, d, x, ScoreConfig(alpha=1.0)).numpy()
    assert only_rec[0] == pytest.approx(np.abs(x[0] - rec).sum(), rel=1e-6)


def test_score_config_validation():
    with pytest.raises(ValueError, match="variant"):
        ScoreConfig(variant="cross-e")
    with pytest.raises(ValueError, match="alpha"):
        ScoreConfig(alpha=1.5)


def test_batch_independence_one_row_vs_10000():
    tf.random.set_seed(1)
    e, g, d = kdd.Encoder(), kdd.Generator(), kdd.Discriminator()
    x = np.random.default_rng(0).lognormal(0, 3, size=(10_000, 121)).astype(np.float32)
    for variant in ("sigma", "fm"):
        cfg = ScoreConfig(variant=variant)
        full = egbad_score(e, g, d, x, cfg).numpy()
        for i in (0, 4321, 9999):
            alone = egbad_score(e, g, d, x[i:i + 1], cfg).numpy()[0]
            assert alone == pytest.approx(full[i], rel=1e-5, abs=1e-5)

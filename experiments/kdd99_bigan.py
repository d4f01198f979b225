"""EGBAD Table 1 on KDD99: BiGAN recipes beside classical baselines, seed by seed.

Appends one record per (run, score variant, threshold rule) to
experiments/results/kdd99_bigan.json (runs already there are skipped, an
interrupted training resumes from its checkpoint in --workdir) and rewrites
experiments/results/kdd99_bigan.md.

    python experiments/kdd99_bigan.py --recipes=faithful --scalings=none,minmax --seeds=0,1,2,3,4
    python experiments/kdd99_bigan.py --recipes=stable --seeds=0,1,2,3,4
"""

from absl import app, flags

from tfgan_ad import recipes
from tfgan_ad.runs import kdd99, set_threads
from tfgan_ad.runs.results import ResultStore

FLAGS = flags.FLAGS
flags.DEFINE_list("recipes", ["stable"], "recipes to train: faithful, stable")
flags.DEFINE_list("scalings", [], "faithful recipe only: scalings to run (none, minmax); "
                  "default both")
flags.DEFINE_list("seeds", ["0", "1", "2", "3", "4"], "split and training seeds")
flags.DEFINE_integer("epochs", None, "training epochs (default: the recipe's own)")
flags.DEFINE_list("variants", ["sigma", "fm"], "score variants (one model gives all)")
flags.DEFINE_float("alpha", 0.9, "score weight α of the reconstruction term")
flags.DEFINE_enum("sigma_pair", "paper", ["paper", "official"],
                  "σ score on D(x,E(x)) (paper) or D(G(E(x)),E(x)) (official code)")
flags.DEFINE_list("baseline_scalings", ["none", "minmax", "log_minmax"],
                  "feature scalings to run the scikit-learn baselines on ([] = none)")
flags.DEFINE_string("results", "experiments/results/kdd99_bigan.json", "results JSON")
flags.DEFINE_string("workdir", "experiments/work", "checkpoints and TensorBoard logs")
flags.DEFINE_bool("progress", False, "progress bar per epoch")
flags.DEFINE_integer("threads", 0, "TensorFlow intra-op threads (0 = TensorFlow's default)")


def main(_):
    set_threads(FLAGS.threads)
    store = ResultStore(FLAGS.results)
    for seed in map(int, FLAGS.seeds):
        for scaling in FLAGS.baseline_scalings:
            kdd99.run_baselines(seed, scaling, store)
        for name in FLAGS.recipes:
            scalings = (FLAGS.scalings or ["none", "minmax"]) if name == "faithful" else [None]
            for scaling in scalings:
                recipe = recipes.get(name, **({"scaling": scaling} if scaling else {}))
                recipe.score = recipe.score.__class__(
                    variant=recipe.score.variant, alpha=FLAGS.alpha,
                    degree=recipe.score.degree, sigma_pair=FLAGS.sigma_pair)
                epochs = FLAGS.epochs or recipe.train.epochs
                kdd99.run_bigan(recipe, seed, epochs, store, FLAGS.workdir,
                                FLAGS.variants, FLAGS.progress)
                kdd99.write_markdown(store, FLAGS.results)


if __name__ == "__main__":
    app.run(main)

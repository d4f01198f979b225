"""EGBAD Table 1, AnoGAN rows: AnoGAN σ and FM beside the BiGAN on KDD99, same run.

For each seed: the stable-recipe BiGAN (reusing experiments/kdd99_bigan.py's
finished checkpoints in --workdir when present; scores are recomputed here),
then a Table 5 GAN trained with the same recipe and scored by the AnoGAN
search, σ and FM, over the whole test split. Writes
experiments/results/kdd99_anogan.{json,md}.

    python experiments/kdd99_anogan.py --seeds=0,1,2
"""

from absl import app, flags

from tfgan_ad import recipes
from tfgan_ad.runs import kdd99, set_threads
from tfgan_ad.runs.results import ResultStore

FLAGS = flags.FLAGS
flags.DEFINE_list("seeds", ["0", "1", "2"], "split and training seeds")
flags.DEFINE_string("results", "experiments/results/kdd99_anogan.json", "results JSON")
flags.DEFINE_string("workdir", "experiments/work", "checkpoints")
flags.DEFINE_integer("threads", 0, "TensorFlow threads (0 = default)")
flags.DEFINE_integer("search_batch", 8192, "rows per AnoGAN search call")


def main(_):
    set_threads(FLAGS.threads)
    store = ResultStore(FLAGS.results)
    recipe = recipes.get("stable")
    for seed in map(int, FLAGS.seeds):
        kdd99.run_bigan(recipe, seed, recipe.train.epochs, store, FLAGS.workdir)
        kdd99.run_anogan(recipe, seed, recipe.train.epochs, store, FLAGS.workdir,
                         search_batch=FLAGS.search_batch)
        path = FLAGS.results.replace(".json", ".md")
        with open(path, "w") as f:
            f.write(kdd99.anogan_markdown(ResultStore(FLAGS.results)))
        print(f"wrote {path}", flush=True)


if __name__ == "__main__":
    app.run(main)

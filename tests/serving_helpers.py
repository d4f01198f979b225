"""Run a SavedModel's serving signature in a separate, plain-TensorFlow process."""

import json
import os
import subprocess
import sys

PLAIN_TF = r"""
import json, sys
import tensorflow as tf
m = tf.saved_model.load(sys.argv[1])
lines = json.loads(sys.stdin.read())
out = m.signatures["serving_default"](records=tf.constant(lines))
print(json.dumps({"score": out["score"].numpy().tolist(),
                  "is_anomaly": out["is_anomaly"].numpy().tolist(),
                  "imported_tfgan_ad": "tfgan_ad" in sys.modules}))
"""


def plain_tf_serving_default(directory, lines, cwd) -> dict:
    """``serving_default(records=lines)`` of the SavedModel at ``directory``, computed by a
    new Python process that loads it with ``tf.saved_model.load`` and nothing else."""
    res = subprocess.run([sys.executable, "-c", PLAIN_TF, str(directory)],
                         input=json.dumps(list(lines)), capture_output=True, text=True,
                         timeout=300, cwd=cwd, env={**os.environ, "PYTHONPATH": ""})
    assert res.returncode == 0, res.stderr[-2000:]
    return json.loads(res.stdout.strip().splitlines()[-1])

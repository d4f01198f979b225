"""Run a SavedModel's serving signature in a separate, plain-TensorFlow process."""

import json
import os
import subprocess
import sys

PLAIN_TF = r"""
import json, sys
import tensorflow as tf
m = tf.saved_model.load(sys.argv[1])
arg, dtype = sys.argv[2], sys.argv[3]
values = json.loads(sys.stdin.read())
out = m.signatures["serving_default"](**{arg: tf.constant(values, dtype=dtype)})
print(json.dumps({"score": out["score"].numpy().tolist(),
                  "is_anomaly": out["is_anomaly"].numpy().tolist(),
                  "imported_tfgan_ad": "tfgan_ad" in sys.modules}))
"""


def plain_tf_serving_default(directory, values, cwd, arg: str = "records",
                             dtype: str = "string") -> dict:
    """``serving_default(<arg>=values)`` of the SavedModel at ``directory`` (CSV lines by
    default; ``arg="pixels", dtype="uint8"`` for image models), computed by a new Python
    process that loads it with ``tf.saved_model.load`` and nothing else."""
    values = values.tolist() if hasattr(values, "tolist") else list(values)
    res = subprocess.run([sys.executable, "-c", PLAIN_TF, str(directory), arg, dtype],
                         input=json.dumps(values), capture_output=True, text=True,
                         timeout=300, cwd=cwd, env={**os.environ, "PYTHONPATH": ""})
    assert res.returncode == 0, res.stderr[-2000:]
    return json.loads(res.stdout.strip().splitlines()[-1])

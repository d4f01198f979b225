"""Experiment and benchmark code behind the scripts in experiments/ and benchmarks/."""


def set_threads(n: int) -> None:
    """Limit TensorFlow to ``n`` threads (0 = TensorFlow's default); call before any op."""
    if n:
        import tensorflow as tf
        tf.config.threading.set_intra_op_parallelism_threads(n)
        tf.config.threading.set_inter_op_parallelism_threads(n)

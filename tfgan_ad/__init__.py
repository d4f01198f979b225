"""tfgan_ad: GAN-based anomaly detection (EGBAD, AnoGAN, ADGAN) in TensorFlow 2 / Keras 3.

Start with ``tfgan_ad.zoo.load("bigan_kdd99")`` or
``tfgan_ad.detector.BiGANDetector``; see README.md.
"""

__version__ = "0.1.0"

from setuptools import find_packages, setup

setup(
    name="tfgan_ad",
    version="0.1.0",
    description="GAN-based anomaly detection (EGBAD, AnoGAN, ADGAN) in TensorFlow 2 / Keras 3",
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    packages=find_packages(include=["tfgan_ad", "tfgan_ad.*"]),
    python_requires=">=3.10",
    install_requires=[
        "keras>=3.0",
        "numpy>=1.26",
        "scikit-learn>=1.3",
        "absl-py>=1.0",
        "tensorboard>=2.16",
    ],
    extras_require={
        # TensorFlow comes in flavours; pick one (README, "Install").
        "cpu": ["tensorflow-cpu>=2.16"],
        "gpu": ["tensorflow[and-cuda]>=2.16"],
        "tf": ["tensorflow>=2.16"],
        # the tests write the one-vs-all report, ROC plot included
        "test": ["pytest>=7", "matplotlib>=3.7"],
        # experiments/ and benchmarks/ draw their figures with it
        "experiments": ["matplotlib>=3.7"],
    },
    entry_points={"console_scripts": ["tfgan-ad=tfgan_ad.cli:main"]},
)

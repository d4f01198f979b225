import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"

# Tests and CI read the offline copies beside the checkout unless told otherwise.
if "TFGAN_AD_DATA" not in os.environ and SHARED_DATA.is_dir():
    os.environ["TFGAN_AD_DATA"] = str(SHARED_DATA)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def pytest_addoption(parser):
    parser.addoption("--run-slow", action="store_true", help="also run tests marked slow")


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: long-running; opt in with --run-slow")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--run-slow"):
        return
    marker = pytest.mark.skip(reason="slow: opt in with --run-slow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(marker)


@pytest.fixture(scope="session")
def kdd_records():
    from tfgan_ad.data.kdd99 import load_kdd99
    return load_kdd99(download=False)

import pytest
import torch
from mmengine.registry import DefaultScope


@pytest.fixture(autouse=True)
def _seeded():
    """Every test starts from the same random state."""
    torch.manual_seed(0)


@pytest.fixture(autouse=True)
def _mmdet_scope():
    """Every test runs in mmdet's scope, that of this project's configs.

    A Runner built by an earlier test leaves mmengine's global ``DefaultScope`` at
    whatever its config said ('mmengine' by default), and registries resolve names
    through it; without this, a test's result would depend on the tests before it.
    Tests about other scopes set theirs explicitly.
    """
    with DefaultScope.overwrite_default_scope('mmdet'):
        yield

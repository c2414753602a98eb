"""Fixtures of the dataset tests: the warnings the current MMLogger gives."""
import logging

import pytest
from mmengine.logging import MMLogger


@pytest.fixture
def warnings_seen():
    """The messages MMLogger's current instance warns with during the test."""
    seen = []

    class Catch(logging.Handler):
        def emit(self, record):
            seen.append(record.getMessage())

    logger = MMLogger.get_current_instance()
    handler = Catch(level=logging.WARNING)
    logger.addHandler(handler)
    yield seen
    logger.removeHandler(handler)

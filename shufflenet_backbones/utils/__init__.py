from .complexity import (classifier_multiply_adds, classifier_params,
                         count_multiply_adds)

__all__ = ['classifier_multiply_adds', 'classifier_params', 'count_multiply_adds']

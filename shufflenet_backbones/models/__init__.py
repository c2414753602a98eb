from .backbones import ShuffleNetV1, ShuffleNetV2, ShuffleNetV2Star

__all__ = ['ShuffleNetV1', 'ShuffleNetV2', 'ShuffleNetV2Star']

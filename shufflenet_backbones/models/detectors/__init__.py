from .light_head_rcnn import LightHeadRCNN
from .thundernet import ThunderNet

__all__ = ['LightHeadRCNN', 'ThunderNet']

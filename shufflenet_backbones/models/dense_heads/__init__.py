from .light_rpn_head import THUNDERNET_ANCHORS, LightRPNConv, LightRPNHead
from .select_rpn_head import SelectRPNHead

__all__ = ['LightRPNConv', 'LightRPNHead', 'SelectRPNHead', 'THUNDERNET_ANCHORS']

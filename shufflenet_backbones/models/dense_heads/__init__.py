from .select_rpn_head import SelectRPNHead

__all__ = ['SelectRPNHead']

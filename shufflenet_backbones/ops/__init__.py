import torch.fx

from .early_stop_nms import nms_top_k
from .ps_roi_align import PSRoIAlign, ps_roi_align

# torch.fx.wrap patches a name in one module's globals: the decorator covers the
# calls in ps_roi_align.py (PSRoIAlign), this covers ``ops.ps_roi_align(...)``
torch.fx.wrap('ps_roi_align')

__all__ = ['PSRoIAlign', 'nms_top_k', 'ps_roi_align']

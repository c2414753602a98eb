from .ps_roi_align import PSRoIAlign, ps_roi_align

__all__ = ['PSRoIAlign', 'ps_roi_align']

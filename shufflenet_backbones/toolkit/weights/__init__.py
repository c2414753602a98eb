"""Published weights (not imported by the plugin): the table of what can be fetched
(:mod:`.zoo`), fetching one entry into place (:mod:`.fetch`), the converters it runs
(:mod:`.converters`, :mod:`.torchvision_keys`, :mod:`.v2star_conversion`), and a
trained classifier's backbone extracted for detection (:mod:`.backbone_extraction`).
Reading and comparing state dicts is the plugin's
:mod:`shufflenet_backbones.checkpoint`."""

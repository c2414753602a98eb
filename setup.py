# All metadata lives in setup.cfg; this file only lets `pip install -e .` work.
from setuptools import setup

setup()
